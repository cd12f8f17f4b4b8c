"""The verdict pipeline, one explicit call: a study's report spec states its comparisons (plain
data); `judged(spec, summary)` attaches the report's claims to them, judges them as one family
(analysis/findings.py `judge`, on the statistics of analysis/stats.py), applies the flags as
bounded shifts (analysis/flags.py) and says whether the report's own number is consistent with
this run. findings.md, the report page, --until-settled and the tests all call this."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from analysis import flags
from analysis.claims import attach
from analysis.findings import EVIDENCE, Comparison, Finding, judge
from analysis.stats import prediction_interval


def looks_of(manifest: dict) -> int:
    """How many times --until-settled may look (the first round and each added one), so that a
    rebuild from the stored results judges with the same levels; 1 without it."""
    most = (manifest.get("args") or {}).get("until_settled")
    have = len(manifest.get("initial_seeds", manifest.get("seeds")) or [])
    if not most or not have:
        return 1
    looks = 1
    while have < most:  # the rounds studies/settle.py plans: seeds double up to the most
        have, looks = min(most, max(have + 1, 2 * have)), looks + 1
    return looks


HOMOGENEITY_ALPHA = 0.05  # Bartlett's test: arms pool their residual variance unless it rejects


def residual_pool(s, column: str, arms, scale: float) -> tuple[float, float, tuple] | None:
    """(residual variance, its degrees of freedom, the arms pooled) of an arm x seed two-way
    layout on `column` (table units), over the seeds every pooled arm has. Arms pool only while
    Bartlett's test does not reject equal variances (at 5%): otherwise the arm farthest from the
    median log-variance keeps its own, and the test runs again; an arm with no spread (stuck at
    chance) never pools. None with fewer than 3 arms or 2 seeds."""
    from scipy.stats import bartlett
    values = {a: {k: v * scale for k, v in s.stat(a, column).by_seed().items() if np.isfinite(v)} for a in arms}
    seeds = sorted(set.intersection(*(set(v) for v in values.values()))) if values else []
    if len(seeds) < 2:
        return None
    rows = {a: np.array([values[a][k] for k in seeds]) for a in arms}
    keep = [a for a in arms if rows[a].var(ddof=1) > 0]
    while len(keep) >= 3 and bartlett(*(rows[a] for a in keep)).pvalue < HOMOGENEITY_ALPHA:
        logs = {a: np.log(rows[a].var(ddof=1)) for a in keep}
        mid = np.median(list(logs.values()))
        keep.remove(max(keep, key=lambda a: abs(logs[a] - mid)))
    if len(keep) < 3:
        return None
    x = np.array([rows[a] for a in keep])
    r = x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + x.mean()
    df = (x.shape[0] - 1) * (x.shape[1] - 1)
    return float((r ** 2).sum() / df), float(df), tuple(keep)


def pooled(found: list[Finding], s) -> list[Finding]:
    """Paired arm comparisons (higher, lower) whose two arms share their noise with the study's
    other arms get the pooled residual variance and its degrees of freedom: sqrt(2 s2 / n) with
    (arms - 1)(seeds - 1) df instead of the n - 1 of their own differences."""
    if not hasattr(s, "stat") or not getattr(s, "arms", None):
        return found
    cache, out = {}, []
    for f in found:
        comps = []
        for c in f.comparisons:
            ok = len(c.signs) == 2 and c.column and c.method.startswith("paired t") and c.testable
            if ok and (c.column, c.scale) not in cache:
                cache[(c.column, c.scale)] = residual_pool(s, c.column, list(s.arms), c.scale)
            pool = cache.get((c.column, c.scale)) if ok else None
            if pool and set(c.arms) <= set(pool[2]) and pool[1] > c.df:
                s2, df, arms = pool
                c = replace(c, se=float(np.sqrt(2 * s2 / c.n)), df=df,
                            method=f"{c.method}; pooled residual variance over {len(arms)} arms "
                                   f"x {c.n} seeds ({df:g} df)")
            comps.append(c)
        out.append(replace(f, comparisons=tuple(comps)))
    return out


def judged(spec, s, looks: int | None = None) -> list[Finding]:
    manifest = getattr(s, "manifest", None) or {}
    looks = looks or looks_of(manifest)
    found = judge(pooled(attach(spec.claims, spec.findings(s)), s), looks)
    found = flags.apply(found, s, dict(spec.expected_flags))
    return [sized(f, spec, manifest) for f in found]


def _lead(f: Finding) -> Comparison | None:
    """The comparison the verdict rests on; without an interval (one seed), the first that names
    its arms' signs: the report's own number needs only the report's table."""
    return next((c for c in f.comparisons if c.testable and f.interval is not None
                 and tuple(c.adjusted) == tuple(f.interval)), None) or \
        next((c for c in f.comparisons if c.signs and c.column), None)


def sized(f: Finding, spec, manifest: dict) -> Finding:
    """The report's effect from its table (where its comparison names arms the table has numbers
    for), and whether it falls in this run's 95% prediction interval for one run."""
    c = _lead(f) if f.kind == EVIDENCE else None
    column = next((col for col in spec.columns if c is not None and col.source == c.column), None)
    numbers = {a: v for a, v in (column.report.items() if column is not None else ())
               if isinstance(v, (int, float)) and not isinstance(v, bool)}  # some cells are words ("plateau")
    if c is None or column is None or not c.signs or not all(a in numbers for a in c.arms):
        return f
    report = float(sum(sign * numbers[a] for sign, a in zip(c.signs, c.arms)) + c.offset)
    stand_in = ((manifest.get("data") or {}).get("stand_in_for") or "").strip()
    if stand_in:
        size = (f"not comparable: this run's data stands in for {stand_in}; the report's effect is "
                f"{'in' if report > 0 else 'against'} its claim's direction, this run's: {f.direction}")
    else:
        lo, hi = prediction_interval(c.effect, c.se * np.sqrt(c.n), c.n)
        size = ("not comparable: fewer than 2 seeds" if not np.isfinite(lo) else
                f"{'consistent' if lo <= report <= hi else 'not consistent'}: one run's 95% prediction "
                f"interval [{lo:+.4g}, {hi:+.4g}]")
    return replace(f, report_effect=report, size=size)
