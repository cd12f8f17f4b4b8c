"""A finding of the report, judged on this run: reproduced, reproduced but smaller than it matters,
not reproduced, or inconclusive (the grades and their statistics: analysis/stats.py).

A finding rests on one or more comparisons. Each comparison is an effect in the metric's own
units, signed so that positive is the report's direction (a difference between arms, paired over
shared seeds; one arm against a bound; or a rank correlation for a trend), with a t interval,
judged against the finding's smallest effect of interest (SESOI). The family is the study's
claims (Holm over claims; a claim of several parts is an intersection-union test), and the
interval shown is the one the verdict used, with the unadjusted 95% interval beside it. A claim
of equivalence ("similar") swaps the roles: reproduced by TOST within +-SESOI, not reproduced
when the interval lies outside it. What flags do to a verdict: analysis/flags.py; the pipeline
that runs all of it: analysis/verdicts.py."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats as st

from analysis.stats import (
    ALPHA,
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    SMALL,
    UNRESOLVED,
    bounds,
    direction,
    holm,
    multiplier,
    outcome,
    planned_seeds,
    quantile,
)

FMT = ".4g"         # four significant digits: MSEs of 0.0094 and accuracies of 97.3 alike
MAX_SEEDS_SHOWN = 1000
__all__ = ["holm", "REPRODUCED", "SMALL", "NOT_REPRODUCED", "INCONCLUSIVE"]

DIRECTION, EQUIVALENCE, FIXED = "direction", "equivalence", "fixed"

# what a row of findings.md is: evidence for the report (counted), a sanity check that holds by
# construction (shown apart, never counted), or a claim this design cannot test (listed with why)
EVIDENCE, CHECK, UNTESTABLE = "finding", "check", "untestable"
CHECK_VERDICT = {REPRODUCED: "holds", SMALL: "holds", NOT_REPRODUCED: "fails", INCONCLUSIVE: "not settled"}
UNTESTABLE_VERDICT = "untestable here"
NOT_RUN_VERDICT = "not run in this profile"


@dataclass(frozen=True)
class Comparison:
    """One test: `effect` (positive = the report's direction; for an equivalence claim, the plain
    difference) with its standard error and degrees of freedom, in the metric's units, or in
    Fisher-z units when `fisher` (a rank correlation)."""
    label: str
    kind: str                   # DIRECTION, EQUIVALENCE, or FIXED (a verdict not from a test)
    effect: float               # nan: not estimable
    se: float                   # nan: no interval (fewer than 2 seeds)
    df: float
    sesoi: float
    n: int                      # seeds (pairs, or points for a trend) the test rests on
    method: str                 # e.g. "paired t, 3 shared seeds"
    detail: str = ""            # the values behind it
    fisher: bool = False        # effect, se in z = atanh(rho); shown back as rho
    verdict: str = INCONCLUSIVE  # the FIXED kind's verdict, else set by judge()
    p_yes: float = np.nan       # adjusted (claims, looks), set by judge()
    p_no: float = np.nan
    arms: tuple = ()            # the arms it compares (none: it rests on every arm, e.g. a trend)
    unit: str = ""
    why: str = ""               # why its SESOI
    seeds: int | None = None    # seeds behind it where n counts something else (a trend's points)
    column: str = ""            # the trials.parquet column it compares (analysis.flags checks it)
    # effect = sum(signs[i] * arms[i]'s value in table units) + offset, where known (higher, lower,
    # at_most, at_least): how each arm's further movement moves the effect (analysis.flags), and
    # the report's own effect from its table's numbers (analysis.verdicts)
    signs: tuple = ()
    offset: float = 0.0
    scale: float = 1.0
    adjusted: tuple = (np.nan, np.nan)  # the interval the verdict used (multiplicity, looks), set by judge()
    yes: bool = False           # set by judge(): the report's direction (or inside the margin) at its level
    no: bool = False            # set by judge(): below the SESOI (or outside the margin) at its level

    @property
    def testable(self) -> bool:
        return self.kind != FIXED and np.isfinite(self.effect) and np.isfinite(self.se) and self.n >= 2

    def _back(self, z):
        return float(np.tanh(z)) if self.fisher else float(z)

    def _sesoi_z(self):
        return float(np.arctanh(min(self.sesoi, 0.999))) if self.fisher else self.sesoi

    @property
    def estimate(self) -> float:
        return self._back(self.effect) if np.isfinite(self.effect) else np.nan

    def interval(self, level: float = 1 - ALPHA) -> tuple[float, float]:
        if not self.testable:
            return (np.nan, np.nan)
        hw = st.t.ppf(0.5 + level / 2, self.df) * self.se
        return (self._back(self.effect - hw), self._back(self.effect + hw))

    def _p_above(self, x) -> float:
        """One-sided p of H0: effect <= x."""
        if self.se == 0:
            return 0.0 if self.effect > x else 1.0
        return float(st.t.sf((self.effect - x) / self.se, self.df))

    def _p_below(self, x) -> float:
        """One-sided p of H0: effect >= x."""
        if self.se == 0:
            return 0.0 if self.effect < x else 1.0
        return float(st.t.cdf((self.effect - x) / self.se, self.df))

    def raw_p(self) -> tuple[float, float]:
        """(p for the report's claim, p against it), before correction."""
        if not self.testable:
            return (np.nan, np.nan)
        d = self._sesoi_z()
        if self.kind == EQUIVALENCE:  # TOST for; outside the margin on either side against
            return (max(self._p_above(-d), self._p_below(d)),
                    min(1.0, 2 * min(self._p_above(d), self._p_below(-d))))
        return (self._p_above(0.0), self._p_below(d))

    def seeds_needed(self, m_yes: float = 1.0, m_no: float = 1.0) -> int | None:
        """Seeds per arm (pairs) for an interval, at this claim's levels, narrower than the SESOI:
        it then settles the claim whatever the true effect (planned from the spread, not from the
        observed effect)."""
        if not self.testable:
            return None
        level = ALPHA / 2 / max(m_yes, m_no)
        if self.fisher:  # in z: points, then seeds (each seed adds one point per setting)
            d = self._sesoi_z()
            if d <= 0:
                return None
            points = (2 * quantile(level, np.inf) * 1.06 / d) ** 2 + 3
            return int(min(np.ceil(points * (self.seeds or 1) / self.n), MAX_SEEDS_SHOWN))
        return planned_seeds(self.se * np.sqrt(self.n), 2 * self.sesoi if self.kind == EQUIVALENCE else self.sesoi,
                             level, self.n + 1, MAX_SEEDS_SHOWN)

    def text(self, fmt: str = FMT) -> str:
        lo, hi = self.interval()
        f = lambda v: format(v, "+" + fmt)
        what = "rho" if self.fisher else "effect"
        if self.kind == FIXED:
            return f"{self.label}: {self.detail}"
        if not np.isfinite(self.effect):
            return f"{self.label}: {self.detail or 'not estimable'}"
        body = f"{self.label}: {what} {f(self.estimate)}"
        if self.testable and np.isfinite(self.adjusted[0]):
            body += f" [{f(self.adjusted[0])}, {f(self.adjusted[1])}] (adjusted; 95% unadjusted [{f(lo)}, {f(hi)}])"
        else:
            body += f" [{f(lo)}, {f(hi)}]" if self.testable else " (no interval)"
        body += f", {self.method}" if self.method else ""
        if np.isfinite(self.p_yes):
            body += f", adjusted p(for)={self.p_yes:.3g}, p(against)={self.p_no:.3g}"
        return body + (f"; {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Finding:
    """What the findings table and the report page show for one claim of the report."""
    claim: str
    verdict: str
    effect: float | None                 # the deciding comparison's effect (report's direction > 0)
    interval: tuple | None               # its 95% interval (lo, hi)
    sesoi: float | None                  # smallest effect of interest, same units
    n_seeds: int                         # seeds the verdict rests on (fewest over its comparisons)
    evidence: str
    why: str = ""                        # why this SESOI (one line)
    unit: str = ""                       # the effect's unit, e.g. "accuracy points", "rho"
    seeds_needed: int | None = None      # inconclusive: seeds per arm that would settle it
    comparisons: tuple = field(default_factory=tuple)
    caveat: str = ""                     # why this run cannot judge it (analysis.flags), in words
    kind: str = EVIDENCE                 # EVIDENCE, CHECK or UNTESTABLE
    quote: str = ""                      # the report's sentence it tests (analysis/claims.py)
    where: str = ""                      # the report's section, table or figure
    raw_interval: tuple | None = None    # the deciding comparison's unadjusted 95% interval
    direction: str = UNRESOLVED          # analysis.stats: the report's direction, opposite, no effect
    inference: str = ""                  # how the verdict was reached (multiplicity, looks)
    report_effect: float | None = None   # the report's own effect, from its table's numbers
    size: str = ""                       # is the report's number consistent with this run (analysis.verdicts)


def finding(claim: str, comps: list, sesoi, why: str, unit: str) -> Finding:
    """An unjudged finding resting on `comps` (judge() sets its verdict and evidence)."""
    comps = [replace(c, unit=c.unit or unit, why=c.why or why) for c in comps]
    return Finding(claim, INCONCLUSIVE, None, None, sesoi, 0, "", why, unit, None, tuple(comps))


# ---------------------------------------------------------------- comparisons

def difference(label: str, a: dict, b: dict, sign: int, sesoi: float, kind: str = DIRECTION) -> Comparison:
    """sign * (a - b) over seeds: paired over the shared seeds where at least 2 are shared (the
    seed fixes init, data order and split in both arms), else Welch's t over all seeds."""
    a = {k: v for k, v in a.items() if np.isfinite(v)}
    b = {k: v for k, v in b.items() if np.isfinite(v)}
    shared = sorted(set(a) & set(b))
    if not a or not b:
        return Comparison(label, kind, np.nan, np.nan, np.nan, sesoi, 0, "",
                          "an arm has no completed trial")
    if len(shared) >= 2:
        d = np.array([sign * (a[k] - b[k]) for k in shared])
        return Comparison(label, kind, float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d))),
                          len(d) - 1, sesoi, len(d), f"paired t, {len(d)} shared seeds")
    x, y = np.array(list(a.values())), np.array(list(b.values()))
    effect = float(sign * (x.mean() - y.mean()))
    n = min(len(x), len(y))
    if n < 2:
        return Comparison(label, kind, effect, np.nan, np.nan, sesoi, n, "",
                          "fewer than 2 seeds, no interval")
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = float(np.sqrt(vx + vy))
    df = (vx + vy) ** 2 / (vx ** 2 / (len(x) - 1) + vy ** 2 / (len(y) - 1)) if se > 0 else len(x) + len(y) - 2
    return Comparison(label, kind, effect, se, float(df), sesoi, n, f"Welch t, {len(x)} vs {len(y)} seeds")


def versus_bound(label: str, values: dict, bound: float, sign: int) -> Comparison:
    """sign * (bound - mean): an arm below (sign=+1) or above (sign=-1) a bound; the bound itself
    is the margin, so the SESOI is 0."""
    v = np.array([x for x in values.values() if np.isfinite(x)])
    if len(v) == 0:
        return Comparison(label, DIRECTION, np.nan, np.nan, np.nan, 0.0, 0, "", "no completed trial")
    effect = float(sign * (bound - v.mean()))
    if len(v) < 2:
        return Comparison(label, DIRECTION, effect, np.nan, np.nan, 0.0, 1, "",
                          "fewer than 2 seeds, no interval")
    return Comparison(label, DIRECTION, effect, float(v.std(ddof=1) / np.sqrt(len(v))), len(v) - 1,
                      0.0, len(v), f"one-sample t, {len(v)} seeds")


def rank_trend(label: str, xs, ys, sign: int, sesoi: float) -> Comparison:
    """Spearman's rho of ys on xs (sign=+1: rises), with a Fisher-z interval (se 1.06/sqrt(n-3),
    Fieller et al. 1957), over every (setting, seed) point."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    n = len(xs)
    seeds = int(np.unique(xs, return_counts=True)[1].max()) if n else 0  # points per setting
    if n < 4 or np.std(ys) == 0 or np.std(xs) == 0:
        return Comparison(label, DIRECTION, np.nan, np.nan, np.nan, sesoi, n, "",
                          f"{n} points, too few (or no spread) for a rank correlation with an interval",
                          seeds=seeds)
    rho = float(np.clip(sign * st.spearmanr(xs, ys).statistic, -0.999, 0.999))
    return Comparison(label, DIRECTION, float(np.arctanh(rho)), 1.06 / np.sqrt(n - 3), np.inf, sesoi, n,
                      f"Spearman rho, Fisher z, {n} points", fisher=True, seeds=seeds)


def fixed(label: str, verdict: str, detail: str) -> Comparison:
    """A part whose verdict is not a test (e.g. an arm this profile does not run)."""
    return Comparison(label, FIXED, np.nan, np.nan, np.nan, np.nan, 0, "", detail, verdict=verdict)


# ---------------------------------------------------------------- findings, as specs write them

def _seed_values(s, arm, column, scale):
    x = s.stat(arm, column)
    return {k: v * scale for k, v in x.by_seed().items()}


def _arms_text(s, arms, column, scale):
    return "; ".join(f"{a} {s.stat(a, column).text(scale, FMT, interval=False)}" for a in arms)


def _with_arms(c: Comparison, s, arms, column, scale, signs=(), offset=0.0) -> Comparison:
    """The comparison with its arms (and how each moves the effect), and each arm's mean and
    per-seed values as its detail."""
    return replace(c, arms=tuple(arms), column=column, signs=tuple(signs), offset=offset, scale=scale,
                   detail=_arms_text(s, arms, column, scale) + (f"; {c.detail}" if c.detail else ""))


def higher(claim: str, s, a: str, b: str, column: str, sesoi: float, why: str, scale: float = 1.0,
           unit: str = "") -> Finding:
    """`a` above `b` on `column` by at least `sesoi` (in table units: the value x `scale`)."""
    c = difference(f"{a} − {b}", _seed_values(s, a, column, scale), _seed_values(s, b, column, scale), +1, sesoi)
    return finding(claim, [_with_arms(c, s, (a, b), column, scale, (+1, -1))], sesoi, why, unit)


def lower(claim: str, s, a: str, b: str, column: str, sesoi: float, why: str, scale: float = 1.0,
          unit: str = "") -> Finding:
    """`a` below `b` on `column` by at least `sesoi`; the effect is b - a (positive: as claimed)."""
    c = difference(f"{b} − {a}", _seed_values(s, a, column, scale), _seed_values(s, b, column, scale), -1, sesoi)
    return finding(claim, [_with_arms(c, s, (a, b), column, scale, (-1, +1))], sesoi, why, unit)


def similar(claim: str, s, a: str, b: str, column: str, margin: float, why: str, scale: float = 1.0,
            unit: str = "") -> Finding:
    """`a` and `b` within +-`margin` of each other (TOST)."""
    c = difference(f"{a} − {b}", _seed_values(s, a, column, scale), _seed_values(s, b, column, scale),
                   +1, margin, kind=EQUIVALENCE)
    return finding(claim, [_with_arms(c, s, (a, b), column, scale)], margin, why, unit)


def at_most(claim: str, s, arm: str, column: str, bound: float, why: str, scale: float = 1.0,
            unit: str = "") -> Finding:
    """`arm` stays at or below `bound` (table units); effect = bound - mean."""
    c = versus_bound(f"bound {bound:g} − {arm}", _seed_values(s, arm, column, scale), bound, +1)
    return finding(claim, [_with_arms(c, s, (arm,), column, scale, (-1,), bound)],
                    0.0, why, unit)


def at_least(claim: str, s, arm: str, column: str, bound: float, why: str, scale: float = 1.0,
             unit: str = "") -> Finding:
    """`arm` above `bound`; effect = mean - bound."""
    c = versus_bound(f"{arm} − bound {bound:g}", _seed_values(s, arm, column, scale), bound, -1)
    return finding(claim, [_with_arms(c, s, (arm,), column, scale, (+1,), -bound)],
                    0.0, why, unit)


def trend(claim: str, xs, ys, sign: int, what: str, sesoi: float, why: str, arms=()) -> Finding:
    """`ys` rises (sign=+1) or falls (-1) with `xs`, by a rank correlation of at least `sesoi`;
    `arms`: the arms the points come from (none: every arm of the study, e.g. arms that are the xs)."""
    c = replace(rank_trend(what, xs, ys, sign, sesoi), arms=tuple(arms))
    return finding(claim, [c], sesoi, why, "rho")


def all_of(claim: str, parts: list[Finding]) -> Finding:
    """A claim made of several comparisons, judged as one intersection-union test: reproduced if
    every part is, not reproduced if any part is against it, else inconclusive (judge())."""
    comps = [c for p in parts for c in p.comparisons]
    first = parts[0] if parts else None
    return finding(claim, comps, first.sesoi if first else None, first.why if first else "",
                    first.unit if first else "")


def stated(claim: str, verdict: str, evidence: str) -> Finding:
    """A finding whose verdict is not a test (e.g. not run in this profile)."""
    return finding(claim, [fixed(claim, verdict, evidence)], None, "", "")


def untestable(quote: str, where: str, reason: str) -> Finding:
    """A claim of the report this design cannot test: listed with the reason, never judged."""
    return Finding(quote, UNTESTABLE_VERDICT, None, None, None, 0, reason, kind=UNTESTABLE, quote=quote,
                   where=where)


def untestable_under(claim: str, reason: str, verdict: str = UNTESTABLE_VERDICT) -> Finding:
    """A finding this run cannot test (its design removed the condition the report names as the
    cause): listed apart with the reason, never judged, never called not reproduced."""
    return Finding(claim, verdict, None, None, None, 0, reason, kind=UNTESTABLE)


def not_run(claim: str, reason: str) -> Finding:
    """A finding whose arms this profile does not run (e.g. ResNet50 offline): listed apart like an
    untestable claim, never counted as inconclusive (no seed could settle it)."""
    return untestable_under(claim, reason, NOT_RUN_VERDICT)


# ---------------------------------------------------------------- judging a study's claims

def judge(findings: list[Finding], looks: int = 1) -> list[Finding]:
    """Verdicts for a study's findings. The family is the study's claims: a claim made of several
    comparisons ("all of") is an intersection-union test, reproduced only if every part is (each at
    the claim's level, no correction inside) and not reproduced if any part is (Bonferroni over its
    parts); Holm then runs over the claims, once for "for" and once for "against". `looks` > 1
    (--until-settled: the most rounds of seeds planned) divides every level by the looks, so
    that looking after each round keeps each error rate at its level (Bonferroni over looks).
    Checks are a family of their own and read holds / fails / not settled."""
    out = list(findings)
    for kind in (EVIDENCE, CHECK):
        idx = [i for i, f in enumerate(findings) if f.kind == kind]
        for i, f in zip(idx, _judge_family([findings[i] for i in idx], looks)):
            out[i] = replace(f, verdict=CHECK_VERDICT[f.verdict]) if kind == CHECK else f
    return out


def _claim_p(f: Finding) -> tuple[float, float, int]:
    """(p for, p against, K testable parts) of a claim: max of the parts' p for (intersection-union),
    K x the smallest p against (any part against it is enough)."""
    parts = [c for c in f.comparisons if c.kind != FIXED]
    raw = [c.raw_p() for c in parts if c.testable]
    if not raw:
        return np.nan, np.nan, 0
    p_yes = max(p for p, _ in raw) if len(raw) == len(parts) else 1.0  # an untested part: never all yes
    return p_yes, min(1.0, len(raw) * min(q for _, q in raw)), len(raw)


def _judge_family(findings: list[Finding], looks: int) -> list[Finding]:
    claims = [_claim_p(f) for f in findings]
    yes_adj, no_adj = holm([c[0] for c in claims]), holm([c[1] for c in claims])
    family = sum(np.isfinite(c[0]) for c in claims) or 1
    judged = []
    for f, (p_yes, p_no, k), ay, an in zip(findings, claims, yes_adj, no_adj):
        m_yes = multiplier(p_yes, ay, family) * looks
        m_no = multiplier(p_no, an, family) * looks * max(k, 1)  # the parts' Bonferroni inside
        comps = [_decide(c, m_yes, m_no) for c in f.comparisons]
        judged.append(_combine(f, comps, m_yes, m_no, looks))
    return judged


def _decide(c: Comparison, m_yes: float, m_no: float) -> Comparison:
    """One part at its claim's levels: its adjusted interval, and whether it is for / against."""
    if not c.testable:
        return c
    a = ALPHA / 2
    p_yes, p_no = c.raw_p()
    lo, hi = bounds(c.effect, c.se, c.df, a / m_yes, a / m_no)
    return replace(c, p_yes=min(1.0, p_yes * m_yes), p_no=min(1.0, p_no * m_no),
                   yes=p_yes * m_yes < a, no=p_no * m_no < a, adjusted=(c._back(lo), c._back(hi)),
                   verdict=outcome([p_yes * m_yes < a], [p_no * m_no < a]))


def claim_verdict(comps) -> str:
    """The verdict of a claim's judged parts (stated parts count with their own verdict)."""
    stated = [c.verdict for c in comps if c.kind == FIXED]
    tested = [c for c in comps if c.kind != FIXED]
    if NOT_REPRODUCED in stated:
        return NOT_REPRODUCED
    yes = [c.yes for c in tested] + [v == REPRODUCED for v in stated]
    return outcome(yes, [c.no for c in tested])


def _combine(f: Finding, comps: list[Comparison], m_yes: float, m_no: float, looks: int) -> Finding:
    verdict = claim_verdict(comps)
    tested = [c for c in comps if c.kind != FIXED and np.isfinite(c.effect)]
    # the comparison that decides: the one most against the claim when it is not reproduced, else
    # the weakest for it (its adjusted lower bound lowest)
    if verdict == NOT_REPRODUCED:
        key = lambda c: (not c.no, c.p_no if np.isfinite(c.p_no) else 1.0)
    else:
        key = lambda c: (c.testable, c.adjusted[0] if c.testable else -np.inf)
    lead = min(tested, key=key) if tested else None
    needed = [c.seeds_needed(m_yes, m_no) for c in comps if c.kind != FIXED and not (c.yes or c.no)]
    needed = max((n for n in needed if n is not None), default=None)
    n_seeds = min((c.n if c.seeds is None else c.seeds for c in comps if c.kind != FIXED), default=0)
    evidence = " | ".join(("" if len(comps) == 1 else f"[{c.verdict}] ") + c.text() for c in comps)
    if verdict == INCONCLUSIVE and any(c.kind != FIXED for c in comps):
        evidence += (f" | about {needed} seeds per arm would settle it (planned from the spread: an "
                     f"interval narrower than the SESOI at this level)" if needed
                     else " | seeds needed: unknown (no spread measured yet: run at least 2-3 seeds)")
    inference = (f"{'intersection-union over ' + str(len(tested)) + ' parts; ' if len(tested) > 1 else ''}"
                 f"Holm over the study's claims (x{m_yes / looks:.3g} for, x{m_no / looks:.3g} against)"
                 + (f"; anytime-valid over {looks} looks (Bonferroni)" if looks > 1 else ""))
    return replace(f, verdict=verdict, comparisons=tuple(comps), evidence=evidence,
                   effect=lead.estimate if lead else None, unit=lead.unit if lead else f.unit,
                   sesoi=lead.sesoi if lead else f.sesoi, why=lead.why if lead else f.why,
                   interval=lead.adjusted if lead and lead.testable else None,
                   raw_interval=lead.interval() if lead and lead.testable else None,
                   direction=direction(*lead.adjusted, lead.sesoi) if lead and lead.testable else UNRESOLVED,
                   inference=inference, n_seeds=n_seeds, seeds_needed=needed if verdict == INCONCLUSIVE else None)


# ---------------------------------------------------------------- findings.md

METHOD = ("Effects are in the metric's units (x100 for accuracies: points), positive in the report's "
          "direction, with t intervals over seeds: paired over the seeds both arms share, Welch's "
          "otherwise; one arm against a bound by a one-sample t; trends by Spearman's rho with a "
          "Fisher-z interval (se 1.06/sqrt(n-3)). The interval shown is the one the verdict used: "
          "Holm over the study's claims (each one-sided decision at 2.5% after it), a claim of several "
          "parts an intersection-union test (all parts for it; Bonferroni over its parts against it), "
          "with the unadjusted 95% interval beside it. Reproduced: the interval lies above zero and "
          "reaches the smallest effect of interest (SESOI); reproduced, smaller than it matters: above "
          "zero but below the SESOI; not reproduced: not above zero and below the SESOI (opposite, no "
          "effect, or too small); else inconclusive. For a claim of similarity the roles swap (TOST "
          "within +-SESOI). A flag on an arm widens the interval in the direction that arm could still "
          "move (analysis/flags.py); the verdict stands only if the widened interval gives it too. "
          "Seeds needed: the seeds for an interval narrower than the SESOI at the claim's level "
          "(planned from the spread, not from the observed effect). Size: the report's own effect "
          "(its table's numbers) against a 95% prediction interval for one run (the report ran each "
          "arm once); not comparable on a stand-in.")


def _num(v) -> str:
    return "—" if v is None or not np.isfinite(v) else format(v, "+" + FMT)


def _interval(iv) -> str:
    return f"[{_num(iv[0])}, {_num(iv[1])}]" if iv else ""


def _row(f: Finding) -> str:
    eff = "—" if f.effect is None else f"{_num(f.effect)} {_interval(f.interval)}".strip()
    eff += f" {f.unit}" if f.unit and f.effect is not None else ""
    eff += f" (95% unadjusted {_interval(f.raw_interval)})" if f.raw_interval and f.effect is not None else ""
    sesoi = "—" if f.sesoi is None else f"{f.sesoi:g}" + (f" ({f.why})" if f.why else "")
    quote = f"«{_cell(f.quote)}» ({_cell(f.where)})" if f.quote else "—"
    report = "—" if f.report_effect is None else _num(f.report_effect)
    report += f" ({_cell(f.size)})" if f.size else ""
    direction_ = f.direction if f.effect is not None else "—"
    evidence = _cell(f.evidence) + (f" ; inference: {_cell(f.inference)}" if f.inference else "")
    return (f"| {f.claim} | **{f.caveat or f.verdict}** | {direction_} | {eff} | {sesoi} | {report} | "
            f"{f.n_seeds} | {quote} | {evidence} |")  # a caveat starts with its verdict


def _cell(text: str) -> str:
    """One table cell: no line breaks, tabs or pipes (the evidence joins its comparisons with " | ")."""
    return " ".join(text.split()).replace(" | ", " ; ").replace("|", "/")


HEAD = ["| finding | verdict | direction | effect [interval the verdict used] | SESOI (why) | "
        "report's effect (size) | seeds | the report says | evidence |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]


def counts_line(findings: list[Finding]) -> str:
    """e.g. '3 reproduced, 2 not reproduced, 5 inconclusive; 1 reproduced, smaller than it matters'."""
    n = {v: sum(f.verdict == v for f in findings) for v in (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, SMALL)}
    return (f"{n[REPRODUCED]} reproduced, {n[NOT_REPRODUCED]} not reproduced, {n[INCONCLUSIVE]} inconclusive"
            + (f"; {n[SMALL]} {SMALL}" if n[SMALL] else ""))


def markdown(title: str, findings: list[Finding]) -> str:
    """The findings table (evidence: counted), then the checks (sanity, not evidence) and the
    report's claims this design cannot test, each with the report's sentence."""
    evidence = [f for f in findings if f.kind == EVIDENCE]
    checks = [f for f in findings if f.kind == CHECK]
    untestable = [f for f in findings if f.kind == UNTESTABLE]
    lines = [f"# Findings: {title}", "", *HEAD, *map(_row, evidence)]
    lines += ["", counts_line(evidence)]
    if checks:
        lines += ["", "## Checks (sanity, not evidence)", "",
                  "Claims of the report that hold by construction: a check that fails points at the code, "
                  "one that holds says nothing for the report. Judged apart, not counted above.", "",
                  *HEAD, *map(_row, checks)]
    if untestable:
        lines += ["", "## Untestable here", "", "| the report says | where | why not |", "| --- | --- | --- |"]
        lines += [f"| «{_cell(f.quote or f.claim)}» | {_cell(f.where)} | "
                  f"{_cell(f.evidence if f.verdict == UNTESTABLE_VERDICT else f.verdict + ': ' + f.evidence)} |"
                  for f in untestable]
    inference = next((f.inference for f in evidence if f.inference), "")
    lines += ["", f"Method ({len(evidence)} claims{'; ' + inference.split('(')[0].strip() if inference else ''}): "
                  f"{METHOD}"]
    return "\n".join(lines) + "\n"
