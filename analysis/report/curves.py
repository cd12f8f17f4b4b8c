"""Per-seed measures of the chosen trials' per-epoch curves (history.parquet), compared between
arms with the verdict API's own paired/Welch difference: for claims about the shape of a curve
(smoother, oscillating, a gap that stays constant) that no single trials.parquet column holds."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from analysis.findings import DIRECTION, difference, finding


def per_seed(s, arm: str, measure) -> dict:
    """seed -> `measure(curve)` where curve is the chosen trial's history sorted by epoch."""
    rows = s.chosen[s.chosen["arm"] == arm] if "arm" in s.chosen else s.chosen.head(0)
    out = {}
    for trial_id, seed in zip(rows.get("trial_id", []), rows.get("seed", [])):
        h = s.history[s.history["trial_id"] == trial_id].sort_values("epoch", kind="stable")
        try:
            out[seed] = float(measure(h))
        except (KeyError, ValueError, TypeError):  # the metric is missing from this run
            continue
    return out


def _text(vals: dict, fmt: str) -> str:
    if not vals:
        return "n/a"
    v = np.array(list(vals.values()))
    return f"{format(v.mean(), fmt)} ({', '.join(format(x, fmt) for x in v)})"


def compare(claim: str, s, a: str, b: str, measure, sign: int, sesoi: float, why: str, unit: str,
            what: str, fmt: str = ".3g"):
    """sign * (measure(a) - measure(b)) per seed, against `sesoi` (sign=+1: a above b)."""
    va, vb = per_seed(s, a, measure), per_seed(s, b, measure)
    label = f"{what}: {a} − {b}" if sign > 0 else f"{what}: {b} − {a}"
    c = difference(label, va, vb, sign, sesoi, DIRECTION)
    detail = f"{what}: {a} {_text(va, fmt)}; {b} {_text(vb, fmt)}" + (f"; {c.detail}" if c.detail else "")
    return finding(claim, [replace(c, arms=(a, b), detail=detail)], sesoi, why, unit)


def column(name: str, scale: float = 1.0):
    """The per-epoch values of `name` as an array (x scale)."""
    return lambda h: np.asarray(h[name], float)[np.isfinite(np.asarray(h[name], float))] * scale
