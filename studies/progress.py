"""Tune callback for what a study prints while it runs: one line per (arm, seed) group as it finishes, one line per
trial that errors, diverges or is retried, each led by the progress (trials done, time left).

Ray's own trial boxes and tables are off by default (`-v` brings them back); this callback
replaces them with lines a reader can follow (arm, seed, nuisance setting, epoch, study metric)."""
from __future__ import annotations

import math
import sys
import time

from ray.tune import Callback

from analysis.summary import grid_key
from studies.per_arm import group_of

FINISHED = ("TERMINATED", "ERROR")
WIDTH = 100  # a line longer than a terminal's columns wraps and breaks the column layout


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def _value(v) -> str:
    return format(v, ".4g") if isinstance(v, float) else str(v)


def _error_reason(trial) -> str:
    """The last line of the trial's error file (the exception), else Ray's short message."""
    try:
        lines = [ln.strip() for ln in open(trial.error_file).read().splitlines() if ln.strip()]
        return lines[-1][:160] if lines else "unknown error"
    except (OSError, TypeError):
        return str(getattr(trial, "error_msg", None) or "unknown error")[:160]


def fit(line: str, width: int = WIDTH) -> str:
    return line if len(line) <= width else line[:width - 1] + "…"


class Console(Callback):
    def __init__(self, metric: str, mode: str, max_epochs: int, nuisance: list[str], total: int,
                 group_size: int, out=None, select_epoch: int | None = None, groups: int | None = None):
        self.metric, self.mode, self.max_epochs = metric, mode, max_epochs
        # the analysis chooses each group's setting by the metric at this epoch (manifest select_epoch)
        self.select_epoch = select_epoch or max_epochs
        self.groups = groups or max(1, total // max(1, group_size))
        self.at_select: dict[str, float] = {}  # trial id -> its metric at the selection epoch
        self.epochs_run: dict[str, int] = {}   # trial id -> epochs it has reported in this run
        self.nuisance, self.total, self.group_size = list(nuisance), total, max(1, group_size)
        self.out = out  # None: sys.stdout at print time (the Tuner pickles its callbacks; a stream does not pickle)
        self.best: dict[str, tuple] = {}     # trial id -> (best metric, its epoch)
        self.last: dict[str, dict] = {}      # trial id -> last result
        self.printed: set = set()            # groups already reported
        self.finished: set = set()           # trial ids seen ending in this run
        self.errored: set = set()
        self.start = time.monotonic()
        self.done_at_start: int | None = None  # trials already finished by an earlier (resumed) run

    # ------------------------------------------------------------ what a trial did
    def _better(self, a, b) -> bool:
        return b is None or (a > b if self.mode == "max" else a < b)

    def _setting(self, trial) -> str:
        return ", ".join(f"{k}={_value(trial.config.get(k))}" for k in self.nuisance if k in trial.config)

    def _who(self, trial) -> str:
        arm, seed = group_of(trial.config)
        return " ".join(x for x in (arm, f"seed {seed}", self._setting(trial)) if x)

    def _epoch(self, trial) -> int:
        last = self.last.get(trial.trial_id) or trial.last_result or {}
        return int(last.get("epoch", last.get("training_iteration", 0)) or 0)

    def _due(self, trial) -> int:
        """The epochs an unfinished trial must still run: to the rung, or past it to the end."""
        epoch = self._epoch(trial)
        return (self.select_epoch if epoch < self.select_epoch else self.max_epochs) - epoch

    def _progress(self, trials, current=None) -> str:
        # Tune calls back before it marks `current` finished: count it as finished
        done = sum(t.status in FINISHED or t is current for t in trials)
        total = max(self.total, len(trials))
        if self.done_at_start is None:
            self.done_at_start = len(self.printed)
        elapsed = time.monotonic() - self.start
        # time left from the epochs the grid plans (each group: one setting to the full budget, the
        # others to the selection rung) at the rate epochs have run; shown once a whole group has
        # finished (single trials end early under ASHA, and groups finish in waves)
        planned = self.groups * (self.max_epochs + (self.group_size - 1) * self.select_epoch)
        ran = sum(self.epochs_run.values())
        # ASHA may let more than one setting of a group past the rung, so the plan is only a lower
        # bound; so is what the unfinished trials must still run (to the rung, or past it to the end)
        due = sum(self._due(t) for t in trials if t.status not in FINISHED and t is not current)
        fresh = len(self.printed) - self.done_at_start
        left = f" ~{_clock(elapsed / ran * max(0, planned - ran, due))} left" if fresh > 0 and ran else ""
        return f"[{done:>{len(str(total))}}/{total} {_clock(elapsed)}{left}]"

    def _say(self, trials, text: str, current=None) -> None:
        print(fit(f"{self._progress(trials, current)} {text}"), file=self.out or sys.stdout, flush=True)

    # ------------------------------------------------------------ Tune's hooks
    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.last[trial.trial_id] = result
        self.epochs_run[trial.trial_id] = int(result.get("epoch") or 0)
        value = result.get(self.metric)
        if (result.get("epoch") or 0) <= self.select_epoch or trial.trial_id not in self.at_select:
            self.at_select[trial.trial_id] = value  # its value at the selection epoch (or its first)
        if isinstance(value, (int, float)) and math.isfinite(value):
            if self._better(value, self.best.get(trial.trial_id, (None,))[0]):
                self.best[trial.trial_id] = (value, result.get("epoch"))

    def on_trial_recover(self, iteration, trials, trial, **info):
        self._say(trials, f"{self._who(trial)}: failed at epoch {self._epoch(trial)} "
                          f"({_error_reason(trial)}); restarting from its last checkpoint")

    def on_trial_error(self, iteration, trials, trial, **info):
        self._say(trials, f"{self._who(trial)}: ERRORED at epoch {self._epoch(trial)}: "
                          f"{_error_reason(trial)}", trial)
        self.errored.add(trial.trial_id)
        self._group_done(trials, trial)

    def on_trial_complete(self, iteration, trials, trial, **info):
        last = self.last.get(trial.trial_id) or {}
        if last.get("diverged"):
            self._say(trials, f"{self._who(trial)}: DIVERGED at epoch "
                              f"{self._epoch(trial)} (non-finite loss); stopped, not retried", trial)
        self._group_done(trials, trial)

    def on_experiment_end(self, trials, **info):
        for t in trials:  # groups smaller than expected (e.g. a resumed run): report them now
            if t.trial_id in self.last:
                self._group_done(trials, t, force=True)

    # ------------------------------------------------------------ one line per (arm, seed)
    def _ended(self, t) -> bool:
        return t.status in FINISHED or t.trial_id in self.finished

    def _group_done(self, trials, trial, force: bool = False) -> None:
        self.finished.add(trial.trial_id)
        key = group_of(trial.config)
        members = [t for t in trials if group_of(t.config) == key]
        if key in self.printed or not all(self._ended(t) for t in members):
            return
        if len(members) < self.group_size and not force:
            return  # the searcher has not created the group's other trials yet
        self.printed.add(key)
        self._say(trials, self._group_line(key, members), trial)

    def _chosen(self, members):
        """The trial the analysis will use (analysis/summary.py): the best value at the selection
        epoch, among the group's trials that ran the full budget; ties: the first setting."""
        full = []
        for t in members:
            last = self.last.get(t.trial_id) or t.last_result or {}
            if t.status == "ERROR" or t.trial_id in self.errored or last.get("diverged"):
                continue  # already said on a line of its own
            value = self.at_select.get(t.trial_id)
            if (self._epoch(t) >= self.max_epochs or last.get("early_stopped")) and isinstance(value, (int, float)) \
                    and math.isfinite(value):
                full.append((value, t))
        if not full:
            return None
        sign = 1 if self.mode == "max" else -1
        top = max(sign * v for v, _ in full)
        tied = [(v, t) for v, t in full if sign * v == top]
        return min(tied, key=lambda vt: tuple(grid_key(vt[1].config.get(k)) for k in self.nuisance))

    def _group_line(self, key, members) -> str:
        arm, seed = key
        chosen = self._chosen(members)
        stopped = sum(self._epoch(t) < self.max_epochs and not (self.last.get(t.trial_id) or {}).get("early_stopped")
                      and t.status != "ERROR" for t in members)
        if chosen is None:
            return f"{arm} seed {seed}: no trial ran the full {self.max_epochs} epochs"
        value, t = chosen
        best, at = self.best.get(t.trial_id, (None, None))
        setting = self._setting(t)
        return (f"{arm} seed {seed}: {setting + ' chosen, ' if setting else ''}best {self.metric} "
                f"{_value(best)} at epoch {at}" + (f"; {stopped} stopped early" if stopped else ""))
