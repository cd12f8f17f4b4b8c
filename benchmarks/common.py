"""What the benchmarks share: running a study in-process with timing callbacks, and a bare loop."""
from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from ray import tune

from studies.runner import Bookkeeping, build_space, parse_args, run
from trainables.session import LocalSession, flatten_arm


class Timing(tune.Callback):
    """Driver-side clock: when each trial started, first reported, and finished."""

    def __init__(self):
        self.t0 = time.perf_counter()
        self.fit_start = None
        self.start, self.first, self.end = {}, {}, {}

    def setup(self, **info):
        self.fit_start = time.perf_counter()
        self.cpu0 = time.process_time()

    def on_experiment_end(self, trials, **info):
        # the driver's CPU seconds over the fit: Tune's bookkeeping (loggers, snapshots, scheduling),
        # much less sensitive to other load on the machine than wall time
        self.driver_cpu_s = time.process_time() - self.cpu0

    def on_trial_start(self, iteration, trials, trial, **info):
        self.start.setdefault(trial.trial_id, time.perf_counter())

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.first.setdefault(trial.trial_id, time.perf_counter())

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.end[trial.trial_id] = time.perf_counter()


@contextmanager
def environ(**values):
    """Environment variables Ray reads when a Tuner starts (TUNE_*), set for one run only."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in before.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def run_study(study, argv: list[str], bookkeeping: Bookkeeping = Bookkeeping(), env: dict | None = None,
              callbacks=()) -> tuple[float, Timing, pd.DataFrame, pd.DataFrame, float]:
    """(wall seconds of the whole script, timing, trials, history, seconds until fit ended)."""
    storage = tempfile.mkdtemp(prefix="bench-")
    timing = Timing()
    t0 = time.perf_counter()
    with environ(**(env or {})):
        out = run(study, [*argv, "--storage-path", storage], callbacks=[timing, *callbacks],
                  bookkeeping=bookkeeping)
    wall = time.perf_counter() - t0
    fit_end = max(timing.end.values()) - t0
    trials, history = pd.read_parquet(Path(out) / "trials.parquet"), pd.read_parquet(Path(out) / "history.parquet")
    shutil.rmtree(storage, ignore_errors=True)
    return wall, timing, trials, history, fit_end


def trial_configs(study, argv: list[str]) -> list[dict]:
    """The configs a grid study's Tuner would run, expanded the same way (arms x seeds x grid)."""
    from ray.tune.search.variant_generator import generate_variants

    from studies.runner import param_space
    args = parse_args(study, argv)
    space = build_space(study, args)
    return [flatten_arm(cfg) for _, cfg in generate_variants(param_space(space, "grid"))], space


def bare_loop(study, configs, data) -> tuple[float, list[dict]]:
    """The same trainables, one after another in this process, no Ray: (wall, every report)."""
    t0 = time.perf_counter()
    reports = []
    for cfg in configs:
        reports += study.train(cfg, LocalSession(threads=1), data).history
    return time.perf_counter() - t0, reports


def _bare_chunk(args):
    study, configs, data = args
    return bare_loop(study, configs, data)[0]


def parallel_bare_loop(study, configs, data, slots: int) -> float:
    """The bare loop split over `slots` processes at once: what the machine itself gives when
    trainables run side by side (cores share memory bandwidth and caches). Each process times
    only its own loop, so interpreter and torch start-up are left out."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context
    chunks = [(study, configs[i::slots], data) for i in range(slots)]
    with ProcessPoolExecutor(slots, mp_context=get_context("spawn")) as pool:
        return max(pool.map(_bare_chunk, chunks))


def median_spread(values) -> str:
    values = list(values)
    return f"{statistics.median(values):.3g} (min {min(values):.3g}, max {max(values):.3g}, n={len(values)})"
