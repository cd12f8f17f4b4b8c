"""In-trial throughput: training images per second inside a Tune trial vs. a bare PyTorch loop,
same model, same data, one trial at a time (so neither competes with the other for cores)."""
from __future__ import annotations

import statistics

from benchmarks.common import bare_loop, run_study, trial_configs
from studies.lr_sweep import STUDY


def measure(epochs: int) -> dict:
    argv = ["--profile", "local", "--scheduler", "fifo", "--set", f"epochs={epochs}",
            "--max-concurrent", "1", "--cpus-per-trial", "1"]
    configs, space = trial_configs(STUDY, argv)
    data = STUDY.load_data(space.fixed)
    _, reports = bare_loop(STUDY, configs, data)
    _, _, _, history, _ = run_study(STUDY, argv)
    bare = statistics.median(r["images_per_s"] for r in reports)
    tuned = statistics.median(history["images_per_s"])
    return {"bare_images_per_s": bare, "tune_images_per_s": tuned, "ratio": tuned / bare}
