"""Tune overhead: the regularization study (local profile, fixed epochs, FIFO) through Ray Tune,
against the same trainables in a bare loop with the same total work, divided by parallel slots."""
from __future__ import annotations

from benchmarks.common import bare_loop, parallel_bare_loop, run_study, trial_configs
from studies.regularization import STUDY


def measure(epochs: int, slots: int) -> dict:
    argv = ["--profile", "local", "--scheduler", "fifo", "--seeds", "1", "--set", f"epochs={epochs}",
            "--max-concurrent", str(slots), "--cpus-per-trial", "1"]
    configs, space = trial_configs(STUDY, argv)
    data = STUDY.load_data(space.fixed)
    bare, _ = bare_loop(STUDY, configs, data)
    side_by_side = parallel_bare_loop(STUDY, configs, data, slots)
    wall, timing, trials, _, fit = run_study(STUDY, argv)
    assert (trials["status"] == "completed").all() and len(trials) == len(configs)
    ideal = bare / slots
    # slot-seconds of the fit not spent inside a trainable, per trial: start, teardown, idle slots
    per_trial = (fit * slots - trials["wall_s"].sum()) / len(trials)
    return {"trials": len(configs), "epochs": epochs, "slots": slots, "bare_s": bare,
            "study_s": wall, "fit_s": fit,
            "ratio_fit": fit / ideal, "ratio_script": wall / ideal,
            "bare_parallel_s": side_by_side, "ratio_machine": side_by_side / ideal,
            "ratio_fit_vs_parallel": fit / side_by_side,
            "first_result_s": min(timing.first.values()) - timing.t0,
            "trial_start_cost_s": per_trial}
