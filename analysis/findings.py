"""A finding of the report, judged on this run: reproduced, not reproduced, or inconclusive."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as st

from analysis.summary import Summary

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
ALPHA = 0.05
FMT = ".4g"  # four significant digits: MSEs of 0.0094 and accuracies of 97.3 alike


@dataclass(frozen=True)
class Finding:
    claim: str
    verdict: str
    evidence: str


def higher(claim: str, s: Summary, a: str, b: str, column: str, scale: float = 1.0) -> Finding:
    """`a` above `b` on `column`, judged by Welch's t-test over seeds at 5%."""
    return _compare(claim, s, a, b, column, scale, sign=+1)


def lower(claim: str, s: Summary, a: str, b: str, column: str, scale: float = 1.0) -> Finding:
    """`a` below `b` on `column`."""
    return _compare(claim, s, a, b, column, scale, sign=-1)


def _compare(claim, s, a, b, column, scale, sign) -> Finding:
    x, y = s.stat(a, column), s.stat(b, column)
    evidence = f"{a} {x.text(scale, FMT)} vs {b} {y.text(scale, FMT)}"
    if x.n == 0 or y.n == 0:
        return Finding(claim, INCONCLUSIVE, evidence + "; an arm has no completed trial")
    if x.n < 2 or y.n < 2:
        return Finding(claim, INCONCLUSIVE, evidence + "; fewer than 2 seeds, no test")
    if x.mean == y.mean:
        return Finding(claim, NOT_REPRODUCED, evidence + "; equal means")
    p = float(st.ttest_ind(x.values, y.values, equal_var=False).pvalue)
    p = 0.0 if not np.isfinite(p) else p  # no spread in either arm, different means
    evidence += f"; Welch p={p:.3g}"
    if p >= ALPHA:
        return Finding(claim, INCONCLUSIVE, evidence)
    return Finding(claim, REPRODUCED if sign * (x.mean - y.mean) > 0 else NOT_REPRODUCED, evidence)


def at_most(claim: str, s: Summary, arm: str, column: str, bound: float, scale: float = 1.0) -> Finding:
    x = s.stat(arm, column)
    evidence = f"{arm} {x.text(scale, FMT)}, bound {bound * scale:g}"
    if x.n == 0:
        return Finding(claim, INCONCLUSIVE, evidence + "; no completed trial")
    return Finding(claim, REPRODUCED if max(x.values) <= bound else NOT_REPRODUCED, evidence)


def monotone(claim: str, xs, ys, sign: int, what: str) -> Finding:
    """`ys` rises (sign=+1) or falls (sign=-1) with `xs`: Spearman's rho, |rho| >= 0.8 to call it."""
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if len(xs) < 3 or np.std(ys) == 0:
        return Finding(claim, INCONCLUSIVE, f"{what}: {len(xs)} points, too few to rank")
    rho = float(st.spearmanr(xs, ys).statistic)
    evidence = f"{what}: Spearman rho={rho:+.2f} over {len(xs)} points"
    if sign * rho >= 0.8:
        return Finding(claim, REPRODUCED, evidence)
    if sign * rho <= -0.8:
        return Finding(claim, NOT_REPRODUCED, evidence)
    return Finding(claim, INCONCLUSIVE, evidence)


def all_of(claim: str, parts: list[Finding]) -> Finding:
    """A claim made of several comparisons: reproduced if every part is, not reproduced if any
    part is not, else inconclusive; each part's verdict stays in the evidence."""
    verdicts = {p.verdict for p in parts}
    verdict = (NOT_REPRODUCED if NOT_REPRODUCED in verdicts else
               REPRODUCED if verdicts == {REPRODUCED} else INCONCLUSIVE)
    return Finding(claim, verdict, "; ".join(f"[{p.verdict}] {p.evidence}" for p in parts))


def markdown(title: str, findings: list[Finding]) -> str:
    lines = [f"# Findings: {title}", "", "| finding | verdict | evidence |", "| --- | --- | --- |"]
    lines += [f"| {f.claim} | **{f.verdict}** | {f.evidence} |" for f in findings]
    counts = {v: sum(f.verdict == v for f in findings) for v in (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE)}
    lines += ["", ", ".join(f"{n} {v}" for v, n in counts.items()),
              "", "Verdicts: Welch's t-test over seeds at 5% for arm comparisons (fewer than two seeds "
              "is inconclusive); Spearman |rho| >= 0.8 for trends."]
    return "\n".join(lines) + "\n"
