"""Each arm at its best nuisance setting, over seeds: the numbers every table and finding uses.

Only trials that reached the full epoch budget are compared (an arm is never judged at a
smaller budget than another); within an (arm, seed) group the best trial by the study's metric
stands for that seed (tuning playbook: compare arms at their best nuisance settings)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st


@dataclass(frozen=True)
class Stat:
    mean: float
    half_width: float   # of the 95% t interval; nan with one seed
    n: int
    values: tuple

    @property
    def lo(self):
        return self.mean - self.half_width

    @property
    def hi(self):
        return self.mean + self.half_width

    def text(self, scale: float = 1.0, fmt: str = ".3f") -> str:
        if self.n == 0:
            return "n/a"
        m = format(self.mean * scale, fmt)
        if self.n < 2 or not np.isfinite(self.half_width):
            return f"{m} (n={self.n})"
        return f"{m} ± {format(self.half_width * scale, fmt)} (n={self.n})"


def stat(values) -> Stat:
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if len(v) == 0:
        return Stat(float("nan"), float("nan"), 0, ())
    hw = float(st.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    return Stat(float(v.mean()), hw, len(v), tuple(v.tolist()))


class Summary:
    def __init__(self, trials: pd.DataFrame, history: pd.DataFrame, metric: str, mode: str,
                 arms: list[str]):
        self.trials, self.history, self.metric, self.mode = trials, history, metric, mode
        self.arms = arms
        key = f"best_{metric}"
        full = trials[trials["status"] == "completed"]
        if key in full and len(full):
            order = full.sort_values(key, ascending=(mode == "min"), na_position="last")
            self.chosen = order.groupby(["arm", "seed"], sort=False).head(1)
        else:
            self.chosen = full.head(0)

    def stat(self, arm: str, column: str) -> Stat:
        rows = self.chosen[self.chosen["arm"] == arm]
        return stat(rows[column]) if column in rows else stat([])

    def curves(self, arm: str) -> pd.DataFrame:
        """Per-epoch history of the trials chosen for `arm` (one per seed)."""
        ids = self.chosen.loc[self.chosen["arm"] == arm, "trial_id"]
        return self.history[self.history["trial_id"].isin(ids)]
