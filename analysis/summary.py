"""Each arm at its chosen nuisance setting, over seeds: the numbers every table and finding uses.

The choice cannot depend on timing: in each (arm, seed) group the trial with the best value of the
study's metric at the selection epoch (ASHA's first rung, which every trial of the group reaches;
studies/per_arm.py never stops that trial) stands for the seed, ties going to the first nuisance
setting in the grid's order. The chosen trial's values at the full budget are what is compared
(tuning playbook: choose at a rung every trial reached, confirm at the full budget over seeds).
Results without a selection epoch (older manifests) fall back to the best over full-budget trials."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st

UNBOUNDED = (-np.inf, np.inf)


@dataclass(frozen=True)
class Stat:
    mean: float
    lo: float           # 95% t interval over seeds, clipped to the metric's range; nan with < 2 seeds
    hi: float
    n: int
    values: tuple       # one value a seed, in seed order
    seeds: tuple

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2

    def by_seed(self) -> dict:
        return dict(zip(self.seeds, self.values))

    def text(self, scale: float = 1.0, fmt: str = ".3f", per_seed: bool = True, interval: bool = True) -> str:
        """`mean [lo, hi] (v0, v1, ...)`: the interval clipped to the metric's range."""
        if self.n == 0:
            return "n/a"
        f = lambda v: format(v * scale, fmt)
        out = f(self.mean)
        if interval and self.n >= 2 and np.isfinite(self.lo):
            out += f" [{f(self.lo)}, {f(self.hi)}]"
        if per_seed:
            out += f" ({', '.join(f(v) for v in self.values)})" if self.n > 1 else " (1 seed)"
        return out


def stat(values, seeds=None, bounds=UNBOUNDED) -> Stat:
    """Mean and 95% t interval of finite `values`; the interval is clipped to `bounds` (the
    metric's range), so an accuracy's never leaves [0, 1]."""
    seeds = list(range(len(values))) if seeds is None else list(seeds)
    kept = [(s, float(v)) for s, v in zip(seeds, values) if v is not None and np.isfinite(v)]
    if not kept:
        return Stat(np.nan, np.nan, np.nan, 0, (), ())
    v = np.array([x for _, x in kept])
    mean, lo, hi = float(v.mean()), np.nan, np.nan
    if len(v) > 1:
        hw = float(st.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
        lo, hi = max(mean - hw, bounds[0]), min(mean + hw, bounds[1])
    return Stat(mean, lo, hi, len(v), tuple(v.tolist()), tuple(s for s, _ in kept))


def grid_key(value):
    """Grid order for mixed types: numbers by value, the rest by text."""
    return (0, float(value), "") if isinstance(value, (int, float, np.number)) else (1, 0.0, str(value))


class Summary:
    def __init__(self, trials: pd.DataFrame, history: pd.DataFrame, metric: str, mode: str,
                 arms: list[str], select_epoch: int | None = None, nuisance: list[str] = ()):
        self.trials, self.history, self.metric, self.mode = trials, history, metric, mode
        self.arms, self.select_epoch = arms, select_epoch
        self.manifest: dict = {}
        self.nuisance = [k for k in nuisance if f"config/{k}" in trials]
        self.unfinished = trials.head(0)  # chosen at the selection epoch, then errored or diverged
        self.chosen = self._choose()

    @classmethod
    def from_manifest(cls, trials: pd.DataFrame, history: pd.DataFrame, m: dict) -> Summary:
        s = cls(trials, history, m["metric"], m["mode"], list(m["arms"]),
                select_epoch=m.get("select_epoch"), nuisance=list(m.get("nuisance") or {}))
        s.manifest = m  # baselines, grids, directions: what analysis.flags checks the arms against
        return s

    def _choose(self) -> pd.DataFrame:
        t = self.trials
        if t.empty:
            return t
        if self.select_epoch is None or self.metric not in self.history:
            full = t[t["status"] == "completed"]
            key = f"best_{self.metric}"
            if key not in full or full.empty:
                return full.head(0)
            order = full.sort_values(key, ascending=(self.mode == "min"), na_position="last", kind="stable")
            return order.groupby(["arm", "seed"], sort=False).head(1)
        h = self.history.sort_values("epoch", kind="stable")
        # the value at the selection epoch (a trial that ended earlier: its last); a trial whose
        # first result comes later (PCA reports once, at the budget): that first result
        rung = h[h["epoch"] <= self.select_epoch].groupby("trial_id")[self.metric].last()
        rung = rung.combine_first(h.groupby("trial_id")[self.metric].first())
        t = t.assign(_rung=t["trial_id"].map(rung).astype(float))
        t = t.assign(_rung=t["_rung"].where(np.isfinite(t["_rung"]), np.nan))
        keys = [f"config/{k}" for k in self.nuisance]
        t = t.assign(_grid=[tuple(grid_key(v) for v in row) for row in t[keys].itertuples(index=False)]
                     if keys else [()] * len(t))
        best = []
        for _, g in t.groupby(["arm", "seed"], sort=True):
            g = g.dropna(subset=["_rung"])
            if g.empty:
                continue
            sign = -1 if self.mode == "min" else 1
            top = (sign * g["_rung"]).max()
            tied = g[sign * g["_rung"] == top].sort_values("_grid", kind="stable")
            best.append(tied.iloc[0])
        if not best:
            return t.head(0).drop(columns=["_rung", "_grid"])
        chosen = pd.DataFrame(best).drop(columns=["_grid"])
        self.unfinished = chosen[chosen["status"] != "completed"]
        return chosen[chosen["status"] == "completed"].sort_values(["arm", "seed"], kind="stable")

    def stat(self, arm: str, column: str, bounds=UNBOUNDED) -> Stat:
        rows = self.chosen[self.chosen["arm"] == arm].sort_values("seed", kind="stable")
        if column not in rows:
            return stat([])
        return stat(rows[column].tolist(), rows["seed"].tolist(), bounds)

    def setting(self, arm: str) -> str:
        """The nuisance setting chosen for `arm`, e.g. `lr=0.001`, or one per seed where they differ."""
        rows = self.chosen[self.chosen["arm"] == arm].sort_values("seed", kind="stable")
        if not self.nuisance or rows.empty:
            return "—"
        texts = [", ".join(f"{k}={_fmt(r[f'config/{k}'])}" for k in self.nuisance) for _, r in rows.iterrows()]
        if len(set(texts)) == 1:
            return texts[0]
        seeds = rows["seed"].tolist()
        return "; ".join(f"{x} (seed{'s' if texts.count(x) > 1 else ''} "
                         f"{', '.join(str(s) for s, y in zip(seeds, texts) if y == x)})"
                         for x in dict.fromkeys(texts))

    def curves(self, arm: str) -> pd.DataFrame:
        """Per-epoch history of the trials chosen for `arm` (one per seed)."""
        ids = self.chosen.loc[self.chosen["arm"] == arm, "trial_id"]
        return self.history[self.history["trial_id"].isin(ids)]


def _fmt(value) -> str:
    return format(value, "g") if isinstance(value, (float, np.floating)) else str(value)
