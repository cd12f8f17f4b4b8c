"""ASHA against FIFO on the learning-rate study, same trials: Optuna draws its first samples at
random from a fixed seed, so both schedulers see the same learning rates."""
from __future__ import annotations

from benchmarks.common import run_study
from studies.lr_sweep import STUDY


def measure(samples: int, epochs: int) -> dict:
    out = {}
    for scheduler in ("fifo", "asha"):
        argv = ["--profile", "local", "--search", "optuna", "--num-samples", str(samples),
                "--scheduler", scheduler, "--set", f"epochs={epochs}", "--max-concurrent", "2"]
        _, _, trials, _, fit = run_study(STUDY, argv)
        out[scheduler] = {"epochs": int(trials["epochs"].sum()), "cpu_s": float(trials["wall_s"].sum()),
                          "best_val_acc": float(trials["best_val_acc"].max()), "fit_s": fit,
                          "rates": sorted(trials["config/lr"].round(6))}
    assert out["fifo"]["rates"] == out["asha"]["rates"], "the two runs drew different rates"
    out["epoch_ratio"] = out["asha"]["epochs"] / out["fifo"]["epochs"]
    out["cpu_ratio"] = out["asha"]["cpu_s"] / out["fifo"]["cpu_s"]
    out["acc_gap_points"] = 100 * (out["fifo"]["best_val_acc"] - out["asha"]["best_val_acc"])
    return out
