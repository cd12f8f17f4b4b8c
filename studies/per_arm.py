"""Tune's scheduler and searcher, applied inside each arm rather than across arms.

An arm is the scientific comparison; its learning rate and the like are nuisance settings.
Pruning one arm's trials against another's would judge arms at different budgets, so pruning
happens only inside each (arm, seed) group, and only in a way that cannot change which trial
the analysis chooses, whatever order the trials arrive in (analysis/summary.py): the chosen trial
is the group's best at the selection rung (the first rung, `grace_period` epochs, which every
trial reaches), and a trial is stopped only once another trial of its group has done better
there, or as well with a setting that sorts before its own (ties go to the first setting in grid
order, analysis.summary.grid_key), i.e. once it can no longer be chosen. So the chosen trial always reaches the full
budget, at any concurrency. Async ASHA's later rungs are given up: which trial gets promoted
there depends on which arrived first, and so would the table."""
from __future__ import annotations

import math
import pickle

from ray.tune.schedulers import FIFOScheduler, TrialScheduler
from ray.tune.search import Searcher

from analysis.summary import grid_key


def group_of(config: dict) -> tuple:
    arm = config.get("arm")
    return (arm["name"] if isinstance(arm, dict) else arm, config.get("seed"))


class PerArmASHA(FIFOScheduler):
    def __init__(self, time_attr: str, grace_period: int, nuisance: tuple = ()):
        super().__init__()
        self._time_attr, self._rung, self._nuisance = time_attr, grace_period, tuple(nuisance)
        self._at_rung: dict[tuple, dict[str, tuple]] = {}  # group -> trial id -> (its value there, grid order)
        self._stopped = 0
        self._metric = self._mode = None

    def set_search_properties(self, metric, mode, **spec) -> bool:
        self._metric, self._mode = metric or self._metric, mode or self._mode
        return True

    def on_trial_result(self, controller, trial, result) -> str:
        if result.get(self._time_attr, 0) < self._rung or self._metric not in result:
            return TrialScheduler.CONTINUE
        seen = self._at_rung.setdefault(group_of(trial.config), {})
        if trial.trial_id not in seen:  # its first result at the rung (a retried trial keeps it)
            value = float(result[self._metric]) * (-1 if self._mode == "min" else 1)
            order = tuple(grid_key(trial.config.get(k)) for k in self._nuisance)
            seen[trial.trial_id] = (value if math.isfinite(value) else -math.inf, order)
        mine, order = seen[trial.trial_id]
        # beaten there, or tied by a setting first in grid order (the analysis's tie-break): it can
        # no longer be chosen
        if any(v > mine or (v == mine and o < order) for v, o in seen.values()):
            self._stopped += 1
            return TrialScheduler.STOP
        return TrialScheduler.CONTINUE

    def debug_string(self) -> str:
        return (f"PerArmASHA: {len(self._at_rung)} arm x seed groups, {self._stopped} trials stopped "
                f"after epoch {self._rung}")

    def save(self, checkpoint_path: str):
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.__dict__, f)

    def restore(self, checkpoint_path: str):
        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))


class PerArmSearcher(Searcher):
    """One inner searcher (Optuna) per (arm, seed) slot, asked in turn, `samples` times each."""

    def __init__(self, base: dict, arms: list[dict], seeds: list[int], samples: int, make_inner):
        super().__init__()
        self._slots = [(arm, seed) for arm in arms for seed in seeds]
        self._inner = [make_inner(arm, seed) for arm, seed in self._slots]
        self._left = [samples] * len(self._slots)
        self._base, self._next, self._owner = base, 0, {}

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True  # the inner searchers were built with their metric, mode and space

    def suggest(self, trial_id: str):
        if not any(self._left):
            return Searcher.FINISHED
        for _ in range(len(self._slots)):
            slot, self._next = self._next, (self._next + 1) % len(self._slots)
            if self._left[slot]:
                nuisance = self._inner[slot].suggest(trial_id)
                if nuisance is None or nuisance == Searcher.FINISHED:
                    continue
                self._left[slot] -= 1
                self._owner[trial_id] = slot
                arm, seed = self._slots[slot]
                return {**self._base, **nuisance, "arm": arm, "seed": seed}
        return None

    def on_trial_result(self, trial_id: str, result: dict):
        if trial_id in self._owner:
            self._inner[self._owner[trial_id]].on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result=None, error: bool = False):
        if trial_id in self._owner:
            self._inner[self._owner.pop(trial_id)].on_trial_complete(trial_id, result, error)

    def save(self, checkpoint_path: str):
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.__dict__, f)

    def restore(self, checkpoint_path: str):
        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))
