"""Whether a run can judge the report's claims at all (issue 13, items 2 and 4): each arm is
checked against the study's trivial baseline, the edges of its nuisance grid and its own learning
curve, and a finding that rests on a flagged arm is made inconclusive, with the reason in words.

- below the trivial baseline: the arm's mean (over seeds, at its chosen setting) is not better
  than the best trivial baseline recorded in manifest.json on that table column;
- grid edge: for at least half of the seeds the chosen nuisance value is the first or last value
  of a grid of >= 2 values (with --search optuna: within the outer 10% of the log range); a seed
  whose every grid value ties at the selection epoch (zero init: 10% at any rate) chose nothing,
  so its tie-broken value is no edge winner;
- still improving: for at least half of the seeds the chosen trial's study metric, at its best
  over the last max(2, 25%) of its epochs, beats its best before them by more than 1% (relative);
  a trial ended by its own early stopping has stopped improving.

What a flag does to a verdict: it bounds how far, and which way, its arm's number could still
move, and the verdict stands only if the comparison's interval, widened by those moves, gives the
same verdict (an arm whose further movement could only strengthen the verdict blocks nothing):
- still improving: the study's metric moves only toward better values, by at most what a
  saturating (geometric) fit to the running best of its curve (the mean over its seeds, as the
  comparisons are of means) has left to gain: the gains of its last two windows g0 > g1 leave
  g1 r / (1 - r), r = g1 / g0 (a curve not slowing down: unbounded);
- grid edge, tied at selection: the arm, tuned again past the edge (or at all), could move toward
  better values without a bound we know;
- below a baseline that learns nothing (chance, majority class, mean image or colour,
  persistence, the identity, a random policy): the arm did not learn the task, so comparisons
  between arms on that column are not evidence either way. Learned references (logistic
  regression on pixels, seasonal naive, bag-of-words, a unigram sampler, a constant action chosen
  on data) stand beside the arms in the table and block nothing.
A comparison on another column than the study's metric (on its validation or held-out test
split), a trend over arms, or a claim of similarity does not know which way its arms would move:
any flag on them blocks it. Findings with
a stated verdict (not a test) are kept.

A study whose claim is about one of these very conditions (lr_sweep: its arms ARE the rates, and
a slow rate still improving after the budget is what "faster convergence" means) names that flag
kind in its ReportSpec's `expected_flags` with the reason: the flag stays in the table, with the
reason beside it, and does not make that study's findings inconclusive. Every other study: as above."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from analysis.findings import EQUIVALENCE, EVIDENCE, FIXED, INCONCLUSIVE, Finding, claim_verdict
from analysis.stats import for_against

EDGE_SHARE = 0.10       # optuna: outer 10% of the log range
IMPROVING_REL = 0.01    # more than 1% better over the last epochs
LAST_SHARE = 0.25       # the last 25% of epochs, at least 2 (at most all but the first)
KINDS = ("below trivial baseline", "grid edge", "still improving", "tied at selection")

RULES = ("Flags: *below trivial baseline* = the arm's mean, or more than half of its seeds, not "
         "better than the best trivial baseline on that column (a mean hides seeds that collapsed); "
         "*grid edge* = for at least half the seeds the chosen nuisance value "
         "is the first or last of its grid (>= 2 values; Optuna: the outer 10% of the log range); "
         "*still improving* = for at least half the seeds the chosen trial's "
         "{metric}, at its best over the last max(2, 25%) of its epochs, beats its best before them by "
         "more than 1% (relative; a trial ended by its own early stopping is not); *tied at selection* = "
         "for at least half the seeds every setting of the grid scored the same at the selection epoch, so "
         "the tie-break, not the metric, chose (the arm is in effect untuned). A flag bounds how far and which "
         "way its arm could still move (still improving: toward better values, by what a geometric fit to "
         "its own curve has left; grid edge, tied: toward better values, unbounded); a finding's verdict "
         "stands if its interval widened by those moves gives it too, else it is inconclusive. Below a "
         "baseline that learns nothing (chance, majority, mean image or colour, persistence, identity, "
         "random policy): the findings comparing that arm with others on that column are inconclusive; "
         "learned references block nothing.")


@dataclass(frozen=True)
class Shortfall:
    column: str
    baseline: str
    value: float
    mean: float
    below: int = 0      # seeds not better than the baseline
    seeds: int = 0

    @property
    def seeds_text(self) -> str:
        return f", {self.below} of {self.seeds} seeds below" if self.seeds else ""


def baseline_rows(manifest: dict) -> list[dict]:
    return list((manifest.get("baselines") or {}).get("rows") or [])


def _better(side: str, mean: float, value: float) -> bool:
    return mean > value if side == "max" else mean < value


# baselines that learn nothing from the data: an arm below one did not learn the task
LEARNS_NOTHING = re.compile(r"majority|chance|mean training image|mean colou?r|persistence|identity|"
                            r"uniform random", re.I)


def shortfalls(s, manifest: dict, learns_nothing_only: bool = False) -> dict[str, list[Shortfall]]:
    """arm -> the columns where its mean, or more than half of its seeds, are not better than a
    trivial baseline (the strongest one it fails, one entry a column): a mean over seeds hides a
    policy that collapsed below random in 3 of 5 seeds. `learns_nothing_only`: against baselines
    that learn nothing."""
    out = {}
    for arm in s.arms:
        worst = {}
        for row in baseline_rows(manifest):
            if not row.get("trivial") or (row.get("arms") is not None and arm not in row["arms"]):
                continue
            if learns_nothing_only and not LEARNS_NOTHING.search(row["name"]):
                continue
            for column, value in row["values"].items():
                side = row.get("better", {}).get(column)
                x = s.stat(arm, column)
                mean, per_seed = x.mean, [v for v in x.by_seed().values() if np.isfinite(v)]
                below = sum(not _better(side, v, value) for v in per_seed) if side else 0
                if side is None or not np.isfinite(mean) or (_better(side, mean, value) and 2 * below <= len(per_seed)):
                    continue
                prev = worst.get(column)
                if prev is None or _better(side, value, prev.value):
                    worst[column] = Shortfall(column, row["name"], float(value), float(mean), below, len(per_seed))
        if worst:
            out[arm] = list(worst.values())
    return out


def _edge(value, nuisance: dict, optuna: bool) -> str | None:
    """'upper'/'lower' when `value` lies at an edge of its grid (or Optuna range), else None."""
    if optuna:
        m = re.search(r"loguniform\(([^,]+),\s*([^)]+)\)", str(nuisance.get("dist", "")))
        if m and isinstance(value, (int, float)) and value > 0:
            lo, hi = math.log(float(m.group(1))), math.log(float(m.group(2)))
            at = (math.log(value) - lo) / (hi - lo) if hi > lo else 0.5
            return "lower" if at < EDGE_SHARE else "upper" if at > 1 - EDGE_SHARE else None
        return None
    grid = list(nuisance.get("grid") or [])
    if len(grid) < 2:
        return None
    if all(isinstance(g, (int, float)) for g in grid):
        grid = sorted(grid)
    return "lower" if value == grid[0] else "upper" if value == grid[-1] else None


def _all_tied(s, arm, seed, at_rung: bool = False) -> bool:
    """Whether every trial of this (arm, seed) group has the same value where its setting was
    chosen (and there are >= 2): the tie-break, not the metric, picked its setting. As the choice
    itself (analysis.summary), a trial that first reports after the selection epoch (PCA, fitted
    once) counts with that first value, unless `at_rung`: only values at the selection epoch."""
    select = getattr(s, "select_epoch", None)
    h = s.history
    if select is None or s.metric not in h or "trial_id" not in s.trials:
        return False
    ids = s.trials.loc[(s.trials["arm"] == arm) & (s.trials["seed"] == seed), "trial_id"]
    h = h[h["trial_id"].isin(ids)].sort_values("epoch")
    rung = h[h["epoch"] <= select].groupby("trial_id")[s.metric].last()
    if not at_rung:
        rung = rung.combine_first(h.groupby("trial_id")[s.metric].first())
    return len(ids) >= 2 and len(rung) == len(ids) and rung.nunique() == 1


def grid_edges(s, manifest: dict) -> dict[str, str]:
    """arm -> e.g. 'lr=0.003 at the upper edge of [0.001, 0.003] (3/3 seeds)'."""
    optuna = (manifest.get("args") or {}).get("search") == "optuna"
    out = {}
    for arm in s.arms:
        rows = s.chosen[s.chosen["arm"] == arm]
        rows = rows[[not _all_tied(s, arm, seed) for seed in rows["seed"]]] if "seed" in rows else rows
        texts = []
        for key, nuisance in (manifest.get("nuisance") or {}).items():
            col = f"config/{key}"
            if col not in rows or rows.empty:
                continue
            edges = [(_edge(v, nuisance, optuna), v) for v in rows[col]]
            hits = [(e, v) for e, v in edges if e]
            if 2 * len(hits) >= len(edges):
                values = sorted({format(v, "g") if isinstance(v, float) else str(v) for _, v in hits})
                span = (nuisance.get("dist") if optuna else
                        "[" + ", ".join(format(g, "g") if isinstance(g, float) else str(g) for g in nuisance["grid"]) + "]")
                texts.append(f"{key}={'/'.join(values)} at the {hits[0][0]} edge of {span} "
                             f"({len(hits)}/{len(edges)} seeds)")
        if texts:
            out[arm] = "; ".join(texts)
    return out


def still_improving_curve(values, mode: str) -> bool:
    """The rule on one curve (epoch order): best over the last max(2, 25%) epochs vs best before."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    if len(v) < 2:
        return False
    k = min(max(2, math.ceil(LAST_SHARE * len(v))), len(v) - 1)
    sign = 1.0 if mode == "max" else -1.0
    before, last = (sign * v[:-k]).max(), (sign * v[-k:]).max()
    return bool(last - before > IMPROVING_REL * max(abs(before), 1e-12))


def still_improving(s, manifest: dict) -> dict[str, str]:
    """arm -> e.g. 'still improving at its last epoch (2/3 seeds)'."""
    mode = (manifest.get("directions") or {}).get(s.metric, manifest.get("mode", s.mode))
    out = {}
    h = s.history
    if s.metric not in h or "epoch" not in h:
        return out
    for arm in s.arms:
        ids = list(s.chosen.loc[s.chosen["arm"] == arm, "trial_id"])
        hits = 0
        for tid in ids:
            c = h[h["trial_id"] == tid].sort_values("epoch")
            stopped = "early_stopped" in c and bool(c["early_stopped"].fillna(False).astype(bool).any())
            hits += (not stopped) and still_improving_curve(c[s.metric].astype(float), mode)
        if ids and 2 * hits >= len(ids) and hits:
            out[arm] = f"{s.metric} still improving at the last epoch ({hits}/{len(ids)} seeds)"
    return out


def tied_choices(s) -> dict[str, str]:
    """arm -> e.g. 'every setting tied on val_acc at the selection epoch (3/3 seeds)'."""
    out = {}
    for arm in s.arms:
        seeds = list(s.chosen.loc[s.chosen["arm"] == arm, "seed"]) if "seed" in s.chosen else []
        # at the rung only: a model fitted once (PCA) has no rate to tune, so its tie says nothing
        hits = sum(_all_tied(s, arm, seed, at_rung=True) for seed in seeds)
        if hits and 2 * hits >= len(seeds):
            out[arm] = (f"every setting tied on {s.metric} at the selection epoch ({hits}/{len(seeds)} seeds): "
                        "the tie-break chose")
    return out


def arm_flags(s, manifest: dict, expected: dict | None = None) -> dict[str, list[str]]:
    """arm -> its flags in words (what the table's flags column shows); a kind the study's spec
    expects (`expected`: kind -> reason) carries its reason."""
    expected = expected or {}

    def said(kind: str, text: str) -> str:  # text starts with its separator (" on", ": ")
        return f"{kind} (expected here: {expected[kind]}){text}" if kind in expected else f"{kind}{text}"
    out = {arm: [] for arm in s.arms}
    for arm, items in shortfalls(s, manifest).items():
        out[arm] += [said("below trivial baseline", f" on {f.column} (mean {f.mean:.4g} vs {f.baseline}: {f.value:.4g}{f.seeds_text})")
                     for f in items]
    for arm, text in grid_edges(s, manifest).items():
        out[arm].append(said("grid edge", f": {text}"))
    for arm, text in still_improving(s, manifest).items():
        out[arm].append(said("still improving", f": {text}"))
    for arm, text in tied_choices(s).items():
        out[arm].append(said("tied at selection", f": {text}"))
    return out


def remaining_gain(values, mode: str) -> float:
    """What a curve has left to gain toward its better side (>= 0, the metric's units): a geometric
    fit to the gains of its running best over its last two windows (each max(2, 25%) of its epochs);
    inf when the curve is not slowing down or too short to tell."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    v = np.maximum.accumulate((1.0 if mode == "max" else -1.0) * v) if len(v) else v
    k = min(max(2, math.ceil(LAST_SHARE * len(v))), max(len(v) - 1, 1))
    if len(v) < 2 * k + 1:
        return math.inf
    g1, g0 = v[-1] - v[-1 - k], v[-1 - k] - v[-1 - 2 * k]
    if g1 <= 0:
        return 0.0
    if g0 <= g1 * (1 + 1e-9):  # not slowing down (rounding included)
        return math.inf
    r = g1 / g0
    return float(g1 * r / (1 - r))


BLOCK = None  # a move we cannot bound in either direction


def _moves(s, manifest: dict, cache: dict, expected: dict) -> dict:
    """(arm, kind) -> ((direction, bound), reason) for each flag that applies, once per study."""
    if "moves" in cache:
        return cache["moves"]
    mode = (manifest.get("directions") or {}).get(s.metric, manifest.get("mode", s.mode))
    better = +1 if mode == "max" else -1
    short = {} if "below trivial baseline" in expected else shortfalls(s, manifest, learns_nothing_only=True)
    edge = {} if "grid edge" in expected else grid_edges(s, manifest)
    improving = {} if "still improving" in expected else still_improving(s, manifest)
    tied = {} if "tied at selection" in expected else tied_choices(s)
    moves = {}
    for arm, items in short.items():
        moves[(arm, "short")] = ({x.column for x in items},
                                 "; ".join(f"{arm} below the trivial baseline on {x.column} (mean {x.mean:.4g} vs "
                                           f"{x.baseline}: {x.value:.4g}{x.seeds_text})" for x in items))
    for arm, text in edge.items():
        moves[(arm, "edge")] = ((better, math.inf), f"{arm} at a grid edge ({text}): could still move toward "
                                                    f"better values, by an unknown amount")
    for arm, text in tied.items():
        moves[(arm, "tied")] = ((better, math.inf), f"{arm}'s setting chosen by a tie-break ({text})")
    h = s.history
    for arm in improving:  # the comparisons are of the arm's mean over seeds: so is its curve here
        ids = list(s.chosen.loc[s.chosen["arm"] == arm, "trial_id"])
        mean = h[h["trial_id"].isin(ids)].groupby("epoch")[s.metric].mean().sort_index()
        gain = remaining_gain(mean.astype(float), mode) if len(mean) else math.inf
        moves[(arm, "improving")] = ((better, gain), f"{arm} still improving at its last epoch (left to gain, "
                                                     f"from its own curve: {'unbounded' if math.isinf(gain) else format(gain, '.3g')})")
    cache["moves"] = moves
    return moves


def same_quantity(metric: str) -> set[str]:
    """The trials.parquet columns that measure the study's metric, on its validation split or on
    the held-out test split (val_mse -> best/final_val_mse, best/final_test_mse): more training
    moves them the same way."""
    names = {metric} | ({metric.replace("val_", "test_", 1)} if metric.startswith("val_") else set())
    return {f"{when}_{name}" for when in ("best", "final") for name in names}


def _shift(c, s, moves: dict) -> tuple[float, float, list[str], bool]:
    """(how far the effect could still fall, rise; the reasons; whether a baseline blocks it)."""
    on_metric = c.column in same_quantity(s.metric)
    knows_way = bool(c.signs) and on_metric and c.kind != EQUIVALENCE and not c.fisher
    down = up = 0.0
    why, below = [], False
    arms = list(c.arms) or list(s.arms)
    for (arm, kind), (move, text) in moves.items():
        if arm not in arms or (kind == "tied" and arm not in c.arms):  # untuned: only where it is named
            continue
        if kind == "short":
            if len(c.arms) >= 2 and c.column in move:
                down, up, below = math.inf, math.inf, True
                why.append(text)
            continue
        why.append(text)
        if not knows_way:
            down = up = math.inf
            continue
        way, size = move
        d = c.signs[c.arms.index(arm)] * way
        if size > 0:
            up, down = (up + size * c.scale, down) if d > 0 else (up, down + size * c.scale)
    return down, up, why, below


def _widened(c, down: float, up: float):
    """The part's for / against at its level after its interval is widened by the moves."""
    if not c.testable or (down == 0 and up == 0):
        return c
    yes, no = for_against(c.adjusted[0] - down, c.adjusted[1] + up, c.sesoi)
    return replace(c, yes=yes, no=no)


def apply(findings: list[Finding], s, expected: dict | None = None) -> list[Finding]:
    """Each judged finding whose verdict a flag on one of its arms could change made inconclusive,
    with the reason and the bound; flags that could not change it are named in its evidence (flag
    kinds in `expected`, the study's ReportSpec.expected_flags, excepted)."""
    manifest = getattr(s, "manifest", None) or {}
    unknown = set(expected or {}) - set(KINDS)
    if unknown:
        raise ValueError(f"expected_flags: unknown flag kind(s) {sorted(unknown)}; kinds: {KINDS}")
    cache, out = {}, []
    moves = _moves(s, manifest, cache, expected or {})
    for f in findings:
        if f.kind != EVIDENCE:  # checks, untestable: as they are
            out.append(f)
            continue
        parts, why, below = [], [], False
        for c in f.comparisons:
            if c.kind == FIXED:
                parts.append(c)
                continue
            down, up, w, b = _shift(c, s, moves)
            parts.append(_widened(c, down, up))
            why += w
            below = below or b
        why = list(dict.fromkeys(why))
        if not why:
            out.append(f)
            continue
        if claim_verdict(parts) == f.verdict:
            said = ("flags on its arms (each would bound a verdict)" if f.verdict == INCONCLUSIVE
                    else "flags that cannot change this verdict")
            out.append(replace(f, evidence=f"{f.evidence} | {said}: {'; '.join(why)}"))
            continue
        head = "inconclusive: below the trivial baseline" if below else "inconclusive: tuning or training not enough to judge"
        detail = f"{'; '.join(why)}; the test alone said {f.verdict}"
        out.append(replace(f, verdict=INCONCLUSIVE, caveat=head, seeds_needed=None,
                           evidence=f"**{head}** ({detail}) | {f.evidence}"))
    return out
