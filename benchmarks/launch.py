"""The floor under "launch to first result": how soon a trial can report anything at all.

Ray gives each of a fit's trial actors a fresh worker process (actor reuse holds only within one
`Tuner.fit()`; measured: neither warmed task workers nor `RAY_preload_python_modules` hand an
actor a process that has imported anything). So before a study's first epoch every fit pays a
process start, the import of Ray Tune and the import of torch. Two trivial trainables measure
that: one reports at once, one imports torch first, each on the runner's Tune settings. This
module imports only Ray Tune at its top, since each trial's worker imports it."""
from __future__ import annotations

import logging
import shutil
import tempfile

from ray import tune


def report_at_once(config):
    if config["torch"]:
        import torch  # noqa: F401  (what every study's trainable imports)
    tune.report({"done": 1})


def first_result_s(slots: int, torch: bool) -> float:
    """Seconds from Tuner.fit() to the first result of `slots` trivial trials started at once."""
    # here, not at the top: a worker imports this module to run `report_at_once`, and must import
    # nothing else (studies.runner would bring torch in with it)
    from benchmarks.common import Timing
    from studies.runner import Bookkeeping
    storage, clock = tempfile.mkdtemp(prefix="bench-launch-"), Timing()
    # a trial that reports once and returns leaves fit() no result.json to read back: Tune warns,
    # and nothing here reads it
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    tune.Tuner(tune.with_resources(report_at_once, {"cpu": 1}),
               param_space={"torch": torch, "i": tune.grid_search(list(range(slots)))},
               tune_config=tune.TuneConfig(reuse_actors=Bookkeeping().reuse_actors),
               run_config=tune.RunConfig(name="launch", storage_path=storage, verbose=0,
                                         callbacks=[clock])).fit()
    shutil.rmtree(storage, ignore_errors=True)
    return min(clock.first.values()) - clock.fit_start


def measure(slots: int) -> dict:
    worker = first_result_s(slots, torch=False)
    with_torch = first_result_s(slots, torch=True)
    return {"floor_worker_s": worker, "floor_torch_s": with_torch, "torch_import_s": with_torch - worker}
