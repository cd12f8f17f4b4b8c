"""Tune's scheduler and searcher, applied inside each arm rather than across arms.

An arm is the scientific comparison; its learning rate and the like are nuisance settings.
Pruning one arm's trials against another's would judge arms at different budgets, so ASHA runs
separately inside each (arm, seed) group: it compares nuisance settings only, seeds are never
pruned against each other, and the first trial to reach each rung always goes on, so every
group has a trial at the full budget."""
from __future__ import annotations

import pickle

from ray.tune.schedulers import ASHAScheduler, FIFOScheduler
from ray.tune.search import Searcher


def group_of(config: dict) -> tuple:
    arm = config.get("arm")
    return (arm["name"] if isinstance(arm, dict) else arm, config.get("seed"))


class PerArmASHA(FIFOScheduler):
    def __init__(self, time_attr: str, max_t: int, grace_period: int, reduction_factor: int):
        super().__init__()
        self._asha_args = dict(time_attr=time_attr, max_t=max_t, grace_period=grace_period,
                               reduction_factor=reduction_factor)
        self._groups: dict[tuple, ASHAScheduler] = {}
        self._members: dict[str, tuple] = {}  # trial id -> its group, while ASHA tracks it
        self._metric = self._mode = None

    def set_search_properties(self, metric, mode, **spec) -> bool:
        self._metric, self._mode = metric or self._metric, mode or self._mode
        return True

    def _asha(self, controller, trial) -> ASHAScheduler:
        key = group_of(trial.config)
        if key not in self._groups:
            self._groups[key] = ASHAScheduler(metric=self._metric, mode=self._mode, **self._asha_args)
        if trial.trial_id not in self._members:  # new, restored, or retried after an error
            self._groups[key].on_trial_add(controller, trial)
            self._members[trial.trial_id] = key
        return self._groups[key]

    def on_trial_add(self, controller, trial):
        self._asha(controller, trial)

    def on_trial_result(self, controller, trial, result) -> str:
        return self._asha(controller, trial).on_trial_result(controller, trial, result)

    def on_trial_complete(self, controller, trial, result):
        self._asha(controller, trial).on_trial_complete(controller, trial, result)
        self._members.pop(trial.trial_id, None)

    def on_trial_remove(self, controller, trial):
        key = self._members.pop(trial.trial_id, None)
        if key is not None:
            self._groups[key].on_trial_remove(controller, trial)

    def on_trial_error(self, controller, trial):
        self.on_trial_remove(controller, trial)

    def debug_string(self) -> str:
        stopped = sum(s._num_stopped for s in self._groups.values())
        return f"PerArmASHA: {len(self._groups)} arm x seed groups, {stopped} trials stopped early"

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
