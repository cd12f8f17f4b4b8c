"""`python -m benchmarks verdicts`: studies with a known truth, judged by the code the studies use
(analysis.findings `higher`/`all_of`, analysis.verdicts `judged`, analysis.flags), to measure how
often a verdict is wrong.

Each simulated study has two arms a and b (a claimed higher by at least the SESOI, 1 point; two more arms with the same noise
stand for the study's other arms, so that the residual variance is pooled over four) and `seeds` seeds; a seed's values are drawn around the arm's true value with a shared seed effect
(pairing helps, as it does in the studies). The truths:
- null: no effect (a correct verdict is "not reproduced" or "inconclusive");
- at SESOI: a true effect of exactly 1 point (reproduced or inconclusive are correct);
- report size: 3 points; opposite: -1 point;
- all-of null: a claim of three parts, each with no effect;
- still improving: b ends 1.5 points behind a at the budget but is still improving along a
  geometric curve that converges to a's level (true effect 0 at convergence); with a large
  effect: b converges 3 points below a (its flag must not block the verdict);
- grid edge: b's chosen rate is at its grid's edge and a better rate past it would match a
  (true effect 0), while at the budget b is 2 points behind.
A false "reproduced" is reproduced (or smaller than it matters) when the true effect is not in the
report's direction; a false "not reproduced" is not reproduced (or smaller than it matters) when
the true effect reaches the SESOI. With `--until-settled` (anytime): 3 seeds, then rounds up to 10
seeds (3 -> 6 -> 10, as studies/settle.py plans them), judged after each round with the levels of
every look, stopping when settled; the verdict at the stop is scored."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis import baselines, stats
from analysis.findings import all_of, higher, judge
from analysis.report import ACCURACY, Column, ReportSpec, spec_for
from analysis.summary import Summary, stat
from analysis.verdicts import judged, pooled

SESOI = 1.0            # points
NOISE = 1.5            # points: an arm's seed-to-seed sd, of which SHARED is common to both arms
SHARED = 1.0
GRID = [0.001, 0.003, 0.01]
TRUTHS = {  # name -> (true effect of the claim at convergence, kind)
    "null": (0.0, "plain"), "at SESOI": (1.0, "plain"), "report size": (3.0, "plain"),
    "opposite": (-1.0, "plain"), "all-of null": (0.0, "all_of"),
    "still improving": (0.0, "improving"), "still improving, large effect": (3.0, "improving"),
    "grid edge": (0.0, "edge")}
SEEDS = (2, 3, 5, 10)
ROUNDS = (3, 6, 10)  # --until-settled 10 from 3 seeds


def _spec(parts: int) -> ReportSpec:
    def findings(s):
        comps = [higher(f"a{k} beats b{k}", s, f"a{k}", f"b{k}", "best_val_acc", SESOI, "1 point", 100, "points")
                 for k in range(parts)]
        return {"a_beats_b": all_of("a beats b", comps) if parts > 1 else comps[0]}
    return ReportSpec("simulated", [Column("best val. accuracy (%)", "best_val_acc", scale=100, bounds=ACCURACY)],
                      findings)


SPECS = {1: _spec(1), 3: _spec(3)}


DEFICIT, RATIO = 0.015, 0.7  # still improving: 1.5 points short at the budget, closing 30% an epoch


def _curve(end: float, improving: bool, epochs: int = 8) -> list[float]:
    """Values per epoch ending at `end`; an improving one is DEFICIT short of where it converges
    (`end`) at its last epoch, the gap shrinking by RATIO each epoch."""
    if improving:
        return [end - DEFICIT / RATIO ** (epochs - 1 - e) for e in range(epochs)]
    return [end - 0.01] + [end] * (epochs - 1)


class _Values:
    """Per-seed values of each arm at its chosen setting: what a Summary gives the findings
    (`stat`), for the truths without flags (no curves, no grid: nothing for a flag to see)."""

    def __init__(self, values: dict):
        self.values = values
        self.arms = list(values)

    def stat(self, arm, column):
        return stat(self.values[arm])


def _draws(rng, parts: int) -> np.ndarray:
    """Standard normal draws for the most seeds any design uses: [shared, a0, b0, a1, b1, ...];
    a design with fewer seeds (an earlier round) uses the first ones, so rounds are nested."""
    return rng.standard_normal((1 + 2 * max(parts, 2), max(max(SEEDS), ROUNDS[-1])))


def _values(z: np.ndarray, truth: float, parts: int, seeds: int) -> dict:
    """arm -> per-seed values in points: a at 80, b at 80 - truth, SHARED of the sd common to both."""
    own = math.sqrt(NOISE ** 2 - SHARED ** 2)
    shared = SHARED * z[0, :seeds]
    out = {}
    for k in range(parts):
        out[f"a{k}"] = 80 + shared + own * z[1 + 2 * k, :seeds]
        out[f"b{k}"] = 80 - truth + shared + own * z[2 + 2 * k, :seeds]
    return out


def _plain(z, truth: float, parts: int, seeds: int, looks: int) -> str:
    """`parts` claims' worth of arms; one claim of one part over four arms (the two it compares and
    two more with the same noise, as a study's other arms) pools their residual variance."""
    drawn = _values(z, truth, max(parts, 2), seeds)
    if parts == 1:  # the second pair: the study's other arms, with no claim of their own
        drawn["e0"], drawn["e1"] = drawn.pop("a1"), drawn.pop("b1")
    values = _Values({arm: v / 100 for arm, v in drawn.items()})
    [f] = judge(pooled(list(SPECS[parts].findings(values).values()), values), looks)
    return f.verdict


def _study(z, truth: float, kind: str, seeds: int, looks: int = 1) -> str:
    """One simulated study's verdict (values in accuracy fractions; 1 point = 0.01): the truths
    without flags through the findings and judge() alone, those with flags through a whole
    Summary (curves, grid, chosen trials) and analysis.verdicts.judged."""
    parts = 3 if kind == "all_of" else 1
    if kind in ("plain", "all_of"):
        return _plain(z, truth, parts, seeds, looks)
    trials, history, arms = [], [], {}
    drawn = _values(z, truth, parts, seeds)  # b: where it converges, tuned well
    for k in range(parts):
        a, b = drawn[f"a{k}"], drawn[f"b{k}"]
        if kind == "edge":  # b's best rate lies past its grid: at the grid's edge it is 2 points behind
            b = b - 2.0
        for arm, values in ((f"a{k}", a), (f"b{k}", b)):
            arms[arm] = {}
            improving = kind == "improving" and arm.startswith("b")
            for seed in range(seeds):
                for i, lr in enumerate(GRID):
                    win = i == (2 if kind == "edge" and arm.startswith("b") else 1)
                    curve = [v - (0 if win else 0.2) for v in _curve(values[seed] / 100, improving)]
                    tid = f"{arm}-{seed}-{i}"
                    trials.append({"trial_id": tid, "arm": arm, "seed": seed, "status": "completed",
                                   "epochs": len(curve), "config/lr": lr, "best_val_acc": max(curve),
                                   "final_val_acc": curve[-1]})
                    history += [{"trial_id": tid, "arm": arm, "seed": seed, "epoch": e + 1, "val_acc": v}
                                for e, v in enumerate(curve)]
    m = {"study": "simulated", "metric": "val_acc", "mode": "max", "arms": arms, "seeds": list(range(seeds)),
         "select_epoch": 1, "max_epochs": 8, "profile": "smoke", "args": {"search": "grid"},
         "nuisance": {"lr": {"grid": GRID}}, "directions": {"val_acc": "max"},
         "baselines": {"rows": baselines.for_table(spec_for("regularization"), [{"name": "majority class", "val_acc": 0.1}],
                                                   arms, {}), "seconds": 0.0}}
    s = Summary.from_manifest(pd.DataFrame(trials), pd.DataFrame(history), m)
    [f] = judged(SPECS[parts], s, looks)
    return f.verdict


def _wrong(verdict: str, truth: float) -> tuple[bool, bool]:
    """(false reproduced, false not reproduced)."""
    says_yes = verdict in (stats.REPRODUCED, stats.SMALL)
    says_below = verdict in (stats.NOT_REPRODUCED, stats.SMALL)
    return says_yes and truth <= 0, says_below and truth >= SESOI


def simulate(n: int = 10_000, seed: int = 0, seeds=SEEDS, truths=TRUTHS, flagged: int | None = None) -> list[dict]:
    """One row per (truth, design): false-verdict rates with Wilson intervals, the share settled
    and the seeds used. `n` studies are spread evenly over the rows without flags; the rows with
    flags get `flagged` each (default: a tenth as many)."""
    rng = np.random.default_rng(seed)
    designs = [("fixed", k) for k in seeds] + [("until settled", ROUNDS[-1])]
    plain = [t for t in truths.values() if t[1] in ("plain", "all_of")]
    per_plain = max(1, n // (max(len(plain), 1) * len(designs)))
    rows = []
    for name, (truth, kind) in truths.items():
        # a whole Summary per study costs ~0.2 s: the flagged truths get a tenth as many
        per = per_plain if kind in ("plain", "all_of") else (flagged or max(1, per_plain // 10))
        for design, k in designs:
            yes = no = settled = 0
            used = []
            for _ in range(per):
                z = _draws(rng, 3 if kind == "all_of" else 1)
                if design == "fixed":
                    verdict, n_seeds = _study(z, truth, kind, k), k
                else:  # look after each round (the same seeds, more of them), every look at the levels of all
                    for n_seeds in ROUNDS:
                        verdict = _study(z, truth, kind, n_seeds, looks=len(ROUNDS))
                        if verdict != stats.INCONCLUSIVE:
                            break
                fy, fn = _wrong(verdict, truth)
                yes, no = yes + fy, no + fn
                settled += verdict != stats.INCONCLUSIVE
                used.append(n_seeds)
            rows.append({"truth": name, "effect": truth, "design": f"{design} ({k} seeds)" if design == "fixed"
                         else f"until settled (3 -> {k} seeds)", "studies": per,
                         "false reproduced": yes / per, "false reproduced CI": stats.wilson(yes, per),
                         "false not reproduced": no / per, "false not reproduced CI": stats.wilson(no, per),
                         "settled": settled / per, "median seeds": float(np.median(used))})
    return rows


def render(rows: list[dict]) -> list[str]:
    pct = lambda v: f"{100 * v:.1f}%"
    ci = lambda c: f"[{pct(c[0])}, {pct(c[1])}]"
    total = sum(r["studies"] for r in rows)
    rate, kind, row = max((r[k], k, r) for r in rows for k in ("false reproduced", "false not reproduced"))
    worst = (f"the largest is {pct(rate)} {ci(row[kind + ' CI'])} ({kind}, {row['truth']}, {row['design']}); "
             f"every rate is at most 5%" if all(r[k] <= 0.05 for r in rows for k in ("false reproduced",
                                                                                    "false not reproduced"))
             else f"NOT MET: {pct(rate)} ({kind}, {row['truth']}, {row['design']})")
    lines = ["## Verdicts: false-verdict rates on simulated studies", "",
             f"{total:,} simulated studies with a known truth (benchmarks/verdicts.py), judged by the studies' own "
             f"code (analysis.verdicts.judged: Holm over claims, intersection-union, flags as bounded shifts; "
             f"anytime levels under --until-settled). SESOI 1 point; seed sd {NOISE} points ({SHARED} shared by both "
             f"arms). Target: each false-verdict rate <= 5%, with its 95% Wilson interval: {worst}. The flagged "
             f"truths run a whole Summary per study (curves, grid, chosen trials), so they get a tenth as many.",
             "",
             "| truth (effect) | design | studies | false reproduced [95% CI] | false not reproduced [95% CI] | "
             "settled | median seeds |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['truth']} ({r['effect']:+g}) | {r['design']} | {r['studies']} | "
                     f"{pct(r['false reproduced'])} {ci(r['false reproduced CI'])} | "
                     f"{pct(r['false not reproduced'])} {ci(r['false not reproduced CI'])} | "
                     f"{pct(r['settled'])} | {r['median seeds']:g} |")
    return lines + [""]
