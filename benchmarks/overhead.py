"""Tune overhead: the regularization study (local profile, fixed epochs, FIFO) through Ray Tune,
against the same trainables in a bare loop with the same total work, divided by parallel slots."""
from __future__ import annotations

import dataclasses

from benchmarks import launch
from benchmarks.common import bare_loop, parallel_bare_loop, run_study, trial_configs
from studies import regularization
from studies.runner import Bookkeeping

RATES = [1e-3, 3e-3]  # the grid the targets were first measured with: 7 arms x 2 rates = 14 trials


def two_rates(profile: str, search: str = "grid"):
    """The regularization study's space with its rate grid pinned to RATES, so that the overhead
    workload stays the same when the study's own grid is widened."""
    space = regularization.STUDY.space(profile, search)
    space.nuisance["lr"] = dataclasses.replace(space.nuisance["lr"], grid=list(RATES))
    return space


STUDY = dataclasses.replace(regularization.STUDY, space=two_rates)


def argv(epochs: int, slots: int) -> list[str]:
    return ["--profile", "local", "--scheduler", "fifo", "--seeds", "1", "--set", f"epochs={epochs}",
            "--max-concurrent", str(slots), "--cpus-per-trial", "1"]


def workload(epochs: int, slots: int):
    """(the trial configs, their data): what both the bare loop and Tune run."""
    configs, space = trial_configs(STUDY, argv(epochs, slots))
    return configs, STUDY.load_data(space.fixed)


def tune_run(epochs: int, slots: int, n_trials: int, bookkeeping: Bookkeeping = Bookkeeping(),
             env: dict | None = None, callbacks=()) -> dict:
    """One run of the study through Tune, and where its seconds went."""
    wall, timing, trials, _, fit = run_study(STUDY, argv(epochs, slots), bookkeeping, env, callbacks)
    assert (trials["status"] == "completed").all() and len(trials) == n_trials
    first_start = min(timing.start.values())
    return {"study_s": wall, "fit_s": fit, "first_result_s": min(timing.first.values()) - timing.t0,
            # launch -> Tuner.fit() (data, manifest, Tuner) -> first trial started -> its first result
            "before_fit_s": timing.fit_start - timing.t0, "to_first_trial_s": first_start - timing.fit_start,
            "first_trial_to_result_s": min(timing.first.values()) - first_start,
            "driver_cpu_s": timing.driver_cpu_s,
            # slot-seconds of the fit not spent inside a trainable, per trial: start, teardown, idle slots
            "trial_start_cost_s": (fit * slots - trials["wall_s"].sum()) / len(trials)}


def measure(epochs: int, slots: int, sequential: bool = True) -> dict:
    """One repeat: the bare loop side by side in `slots` processes, then Tune, back to back so both
    see the same machine load (and the bare loop one process at a time, if `sequential`)."""
    configs, data = workload(epochs, slots)
    side_by_side = parallel_bare_loop(STUDY, configs, data, slots)
    tuned = tune_run(epochs, slots, len(configs))
    floor = launch.measure(slots)
    epoch_s = side_by_side * slots / (len(configs) * epochs)  # one epoch of one trial, bare
    out = {"trials": len(configs), "epochs": epochs, "slots": slots, "bare_parallel_s": side_by_side,
           "ratio_fit_vs_parallel": tuned["fit_s"] / side_by_side, **tuned, **floor, "epoch_s": epoch_s,
           # the earliest a study's first result can come: nothing of Tune's but its worker start
           "floor_first_result_s": tuned["before_fit_s"] + floor["floor_torch_s"] + epoch_s,
           # the ratio less the one cost the bare loop leaves out: worker processes importing torch
           "ratio_fit_less_floor": (tuned["fit_s"] - floor["floor_torch_s"]) / side_by_side}
    if sequential:
        bare, _ = bare_loop(STUDY, configs, data)
        ideal = bare / slots
        out.update(bare_s=bare, ratio_fit=tuned["fit_s"] / ideal, ratio_script=tuned["study_s"] / ideal,
                   ratio_machine=side_by_side / ideal)
    return out
