"""`make bench`: every benchmark, several times, written to benchmarks/RESULTS.md (median and spread)."""
from __future__ import annotations

import argparse
import os
import platform
from importlib import metadata
from pathlib import Path

import ray

from benchmarks import asha_vs_fifo, overhead, throughput
from benchmarks.common import median_spread

TARGETS = {"overhead": 1.10, "throughput": 0.95, "asha_epochs": 0.35, "asha_gap": 1.0}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--epochs", type=int, default=4, help="epochs per trial in the overhead study")
    p.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = p.parse_args()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="WARNING")
    over = [overhead.measure(args.epochs, slots=os.cpu_count()) for _ in range(args.repeats)]
    thru = [throughput.measure(epochs=2) for _ in range(args.repeats)]
    asha = [asha_vs_fifo.measure(samples=10, epochs=8) for _ in range(args.repeats)]
    ray.shutdown()
    Path(args.out).write_text(report(over, thru, asha))
    print(Path(args.out).read_text())


def report(over, thru, asha) -> str:
    v = lambda rows, key: median_spread(r[key] for r in rows)
    o = over[0]
    lines = [
        "# Benchmarks", "",
        f"Machine: {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), no GPU; "
        f"torch {metadata.version('torch')}, ray {metadata.version('ray')}, Python {platform.python_version()}. "
        "Each figure: median (min, max, n runs). The machine is shared, so absolute seconds are noisy; "
        "the ratios are measured side by side in the same run.", "",
        "## 1. Tune overhead (regularization study, local profile, FIFO)", "",
        f"{o['trials']} trials x {o['epochs']} epochs, {o['slots']} slots of 1 CPU.", "",
        "| figure | value | target |", "| --- | --- | --- |",
        f"| wall(fit) / (wall(bare loop) / slots) | {v(over, 'ratio_fit')} | <= {TARGETS['overhead']} |",
        f"| wall(whole script, with outputs) / (wall(bare) / slots) | {v(over, 'ratio_script')} | |",
        f"| bare loop, s | {v(over, 'bare_s')} | |",
        f"| the machine's own limit: bare loop in {o['slots']} processes at once / (bare / slots) | {v(over, 'ratio_machine')} | |",
        f"| wall(fit) / wall(bare loop in {o['slots']} processes at once) | {v(over, 'ratio_fit_vs_parallel')} | |",
        f"| study fit, s | {v(over, 'fit_s')} | |",
        f"| launch to first reported result, s | {v(over, 'first_result_s')} | |",
        f"| per-trial cost outside the trainable ((fit x slots - in-trial seconds) / trials), s | {v(over, 'trial_start_cost_s')} | |", "",
        "## 2. In-trial throughput (lr_sweep CNN, one trial at a time)", "",
        "| figure | value | target |", "| --- | --- | --- |",
        f"| images/s inside a Tune trial | {v(thru, 'tune_images_per_s')} | |",
        f"| images/s bare PyTorch loop | {v(thru, 'bare_images_per_s')} | |",
        f"| ratio | {v(thru, 'ratio')} | >= {TARGETS['throughput']} |", "",
        "## 3. ASHA vs FIFO (lr_sweep, Optuna, 10 learning rates, 8 epochs)", "",
        "| figure | value | target |", "| --- | --- | --- |",
        f"| ASHA epochs / FIFO epochs | {v(asha, 'epoch_ratio')} | <= {TARGETS['asha_epochs']} |",
        f"| ASHA CPU s / FIFO CPU s | {v(asha, 'cpu_ratio')} | |",
        f"| best val. acc. FIFO - ASHA, points | {v(asha, 'acc_gap_points')} | <= {TARGETS['asha_gap']} |",
        f"| FIFO epochs / ASHA epochs (first run) | {asha[0]['fifo']['epochs']} / {asha[0]['asha']['epochs']} | |",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
