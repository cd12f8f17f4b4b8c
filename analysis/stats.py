"""The statistics behind every verdict, as pure functions: numbers in, numbers out (no findings,
no Summary), so that the simulation (`python -m benchmarks verdicts`) runs exactly what the studies
run. Effects are signed so that positive is the report's direction.

Graded outcome of an interval [lo, hi] against the smallest effect of interest S > 0:
  lo > 0 and hi >= S   reproduced (the report's direction, and the effect can reach S)
  lo > 0 and hi <  S   reproduced, smaller than it matters
  lo <= 0 and hi < S   not reproduced (opposite, equivalent to no effect, or below S)
  otherwise            inconclusive
For a bound claim (S = 0: the bound is the margin) only the first and third apply. For a claim of
similarity (equivalence within +-S): reproduced when the interval lies inside +-S, not reproduced
when it lies wholly outside it."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as st

ALPHA = 0.05            # two-sided; each one-sided decision at ALPHA / 2

REPRODUCED, SMALL, NOT_REPRODUCED, INCONCLUSIVE = (
    "reproduced", "reproduced, smaller than it matters", "not reproduced", "inconclusive")
VERDICTS = (REPRODUCED, SMALL, NOT_REPRODUCED, INCONCLUSIVE)

# the direction of an effect, said apart from the verdict
REPORTS_WAY, OPPOSITE, NO_EFFECT, BELOW, UNRESOLVED = ("the report's direction", "opposite",
                                                       "no effect (inside +-SESOI)", "below the SESOI", "unresolved")


def quantile(one_sided: float, df: float) -> float:
    """The t (normal for df = inf) quantile leaving `one_sided` in the upper tail."""
    return float(st.norm.isf(one_sided) if not np.isfinite(df) else st.t.isf(one_sided, df))


def bounds(effect: float, se: float, df: float, lower_level: float, upper_level: float) -> tuple[float, float]:
    """(lo, hi): lower bound at one-sided level `lower_level`, upper at `upper_level`."""
    if se == 0:
        return effect, effect
    return effect - quantile(lower_level, df) * se, effect + quantile(upper_level, df) * se


def p_above(effect: float, se: float, df: float, x: float) -> float:
    """One-sided p of H0: true effect <= x."""
    if se == 0:
        return 0.0 if effect > x else 1.0
    z = (effect - x) / se
    return float(st.norm.sf(z) if not np.isfinite(df) else st.t.sf(z, df))


def p_below(effect: float, se: float, df: float, x: float) -> float:
    """One-sided p of H0: true effect >= x."""
    return p_above(-effect, se, df, -x)


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (nan stays nan and is not counted)."""
    idx = [i for i, p in enumerate(pvalues) if np.isfinite(p)]
    m = len(idx)
    out = [np.nan] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: pvalues[i])):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def multiplier(raw: float, adjusted: float, family: int) -> float:
    """By how much the adjustment divided the level: the interval drawn at ALPHA/2 / multiplier is
    the one whose bound crosses the margin exactly when the adjusted p crosses ALPHA/2."""
    if not np.isfinite(raw) or not np.isfinite(adjusted):
        return 1.0
    return max(1.0, adjusted / raw) if raw > 0 else float(max(family, 1))


def for_against(lo: float, hi: float, sesoi: float) -> tuple[bool, bool]:
    """A direction claim's two decisions from its interval: for it (above zero), against it (below
    the SESOI; a bound claim, S = 0: beyond the bound)."""
    return bool(lo > 0), bool(hi < max(sesoi, 0.0))


def outcome(yes: list[bool], no: list[bool]) -> str:
    """A claim's verdict from its parts: every part for it and none against it: reproduced; every
    part for it and one against it (below the SESOI): reproduced, smaller than it matters; any
    part against it otherwise: not reproduced; else inconclusive."""
    all_yes, any_no = bool(yes) and all(yes), any(no)
    if all_yes:
        return SMALL if any_no else REPRODUCED
    return NOT_REPRODUCED if any_no else INCONCLUSIVE


def grade(lo: float, hi: float, sesoi: float, equivalence: bool = False) -> str:
    """The verdict of one interval (the table at the top of this module)."""
    if math.isnan(lo) or math.isnan(hi):
        return INCONCLUSIVE
    if equivalence:
        if -sesoi < lo and hi < sesoi:
            return REPRODUCED
        return NOT_REPRODUCED if lo > sesoi or hi < -sesoi else INCONCLUSIVE
    yes, no = for_against(lo, hi, sesoi)
    return outcome([yes], [no])


def direction(lo: float, hi: float, sesoi: float) -> str:
    if lo > 0:
        return REPORTS_WAY
    if hi < 0:
        return OPPOSITE
    if sesoi > 0 and -sesoi < lo and hi < sesoi:
        return NO_EFFECT
    if sesoi > 0 and hi < sesoi:
        return BELOW
    return UNRESOLVED


def prediction_interval(mean: float, sd: float, n: int, level: float = 1 - ALPHA) -> tuple[float, float]:
    """Where one more run's value falls (the report ran each arm once): mean +- t sd sqrt(1 + 1/n)."""
    if n < 2 or not np.isfinite(sd):
        return (np.nan, np.nan)
    half = quantile((1 - level) / 2, n - 1) * sd * math.sqrt(1 + 1 / n)
    return mean - half, mean + half


def planned_seeds(sd: float, sesoi: float, one_sided: float, have: int, most: int = 1000) -> int | None:
    """Seeds that settle a claim whatever its true effect: the interval's width (both bounds at
    `one_sided`) below the SESOI, so that it cannot hold both 0 and S. Planned from the spread
    (a nuisance parameter), never from the observed effect."""
    if not (np.isfinite(sd) and sd > 0 and sesoi > 0):
        return None
    for n in range(max(2, have), most):
        if 2 * quantile(one_sided, n - 1) * sd / math.sqrt(n) < sesoi:
            return n
    return most


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson's interval for a binomial share k/n (the simulation's error rates)."""
    if n == 0:
        return (np.nan, np.nan)
    z = st.norm.isf((1 - level) / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
