"""What more seeds would settle: the chance that an open finding is decided once its arms have
more seeds, taking the present effect as the truth and the spread as known (a plug-in forecast,
for planning only: the verdicts themselves come from analysis/verdicts.py at the levels of every
look planned). --until-settled's rounds and the budgeted report's choice both read it."""
from __future__ import annotations

import numpy as np
from scipy import stats as st

from analysis.findings import (
    EQUIVALENCE,
    EVIDENCE,
    FIXED,
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    Comparison,
    Finding,
)


def _z_units(c: Comparison):
    """(effect, se, SESOI, lower/upper adjusted bounds) in the units the test runs in."""
    tr = (lambda x: float(np.arctanh(np.clip(x, -0.999, 0.999)))) if c.fisher else float
    return c.effect, c.se, c._sesoi_z(), tr(c.adjusted[0]), tr(c.adjusted[1])


def part_chances(c: Comparison, seeds_after: int) -> tuple[float, float]:
    """(P for, P against) of one comparison once its arms have `seeds_after` seeds: the future
    estimate ~ N(present effect, se scaled by the seeds), its bounds at the same one-sided levels
    as now, with the degrees of freedom the new seeds give."""
    if c.kind == FIXED:  # a stated part: seeds do not change it
        return float(c.verdict == REPRODUCED), float(c.verdict == NOT_REPRODUCED)
    if c.yes or c.no:
        return float(c.yes), float(c.no)
    if not c.testable or not np.isfinite(c.adjusted[0]):
        return 0.0, 0.0  # no spread yet: nothing to plan from
    effect, se, d, lo, hi = _z_units(c)
    if se <= 0:
        return 0.0, 0.0
    seeds = c.seeds or c.n
    grow = seeds_after / seeds
    df_after = c.df * (seeds_after - 1) / max(seeds - 1, 1) if np.isfinite(c.df) else c.df
    k_yes, k_no = (effect - lo) / se, (hi - effect) / se
    t = (lambda level: st.norm.isf(level)) if not np.isfinite(c.df) else (lambda level: st.t.isf(level, df_after))
    level = (lambda k: st.norm.sf(k)) if not np.isfinite(c.df) else (lambda k: st.t.sf(k, c.df))
    k_yes, k_no = t(level(k_yes)), t(level(k_no))
    se_after = se / np.sqrt(grow) if not c.fisher else 1.06 / np.sqrt(max(c.n * grow - 3, 1))
    future = st.norm(effect, se_after)
    if c.kind == EQUIVALENCE:  # for: inside the margin by TOST; against: outside it
        inner = d - k_yes * se_after
        yes = max(0.0, future.cdf(inner) - future.cdf(-inner)) if inner > 0 else 0.0
        outer = d + k_no * se_after
        return float(yes), float(future.sf(outer) + future.cdf(-outer))
    return float(future.sf(k_yes * se_after)), float(future.cdf(d - k_no * se_after))


def settle_chance(f: Finding, seeds_after: int) -> float:
    """The chance that an open finding is decided with `seeds_after` seeds per arm (all parts for
    it, or any part against it, taken as independent); 0 for one a flag holds open."""
    if f.kind != EVIDENCE or f.verdict != INCONCLUSIVE or f.caveat:
        return 0.0
    parts = [part_chances(c, seeds_after) for c in f.comparisons]
    if not parts:
        return 0.0
    for_all = float(np.prod([y for y, _ in parts]))
    against_any = 1.0 - float(np.prod([1.0 - n for _, n in parts]))
    return min(1.0, for_all + against_any)


def finding_arms(f: Finding, all_arms) -> set[str]:
    """The arms whose seeds an open finding's undecided parts rest on."""
    arms = set()
    for c in f.comparisons:
        if c.kind != FIXED and not (c.yes or c.no):
            arms |= set(c.arms) if c.arms else set(all_arms)
    return arms




def open_findings(found: list[Finding], all_arms, seeds_after: int) -> tuple[list[str], list[tuple[Finding, float]]]:
    """(the arms to extend, in `all_arms`' order; [(open finding, its chance)] with a chance > 0)."""
    chances = [(f, settle_chance(f, seeds_after)) for f in found]
    chances = [(f, p) for f, p in chances if p > 0]
    arms = set().union(*(finding_arms(f, all_arms) for f, _ in chances)) if chances else set()
    return [a for a in all_arms if a in arms], chances
