"""benchmarks/RESULTS.md from the raw figures of benchmarks/results.json: the targets met or not
(and if not, the measured reason), then one section per part."""
from __future__ import annotations

import statistics

from benchmarks.common import median_spread

TARGETS = {"overhead": 1.05, "first_result_s": 3.0, "throughput": 0.95, "asha_epochs": 0.35,
           "asha_gap": 1.0, "report_min": 20.0, "min_per_settled": 1.0, "slot_share": 0.95,
           "suite_min": 10.0}
# issue 27's baseline: the fixed design settled 14 findings in 51 min (quiet); a 30 min budget should settle 2x
FIXED_SETTLED_BEFORE, BUDGET_SETTLED_TARGET = 14, 28

# The quiet run before issue 17 (the previous RESULTS.md): checkpoint every epoch, keep 2.
BEFORE = {"ratio_fit_vs_parallel": 1.15, "first_result_s": 4.08, "trial_start_cost_s": 0.363,
          "throughput": 1.02, "asha_epochs": 0.325, "asha_gap": 0.0}

# The largest part of the launch-to-first-result split, and what would cut it next.
NEXT_LEVER = {
    "before_fit_s": "load the data and write the manifest while Ray starts the trial workers",
    "to_first_trial_s": "none inside the project: this is the trial actor's fresh worker process importing Ray Tune "
                        "and the trainable's module (torch with it); Ray gives every actor a new process, and "
                        "neither warmed task workers nor RAY_preload_python_modules hand it one that has imported "
                        "anything (measured; see the floor below)",
    "first_trial_to_result_s": "a smaller first epoch (the work itself: data, model, one epoch)",
}


# what would cut the whole report next, if it misses its target
REPORT_LEVER = ("the studies now run side by side on one Ray (studies/side_by_side.py) and `BUDGET=` spends "
                "seeds where verdicts are open (studies/budget.py); the figure above predates both. The work "
                "itself is about an hour of trial time on 2 cores: a smaller `--until-settled` limit under a "
                "small budget (fewer looks), fewer first-round seeds where the cost is high.")


def _med(rows, key):
    return statistics.median(r[key] for r in rows if r.get(key) is not None)


def _v(rows, key):
    return median_spread(r[key] for r in rows if r.get(key) is not None)


def _floor_note(over: list[dict], first: float) -> str:
    """What Tune cannot go below on this machine (benchmarks/launch.py), and what it adds above it."""
    floor = _med(over, "floor_first_result_s")
    return (f"The floor under both (benchmarks/launch.py): every fit starts its trials in fresh Ray worker processes, "
            f"so a trivial trainable's first result comes {_med(over, 'floor_worker_s'):.2f} s after fit() "
            f"(process start and Ray Tune's import) and {_med(over, 'floor_torch_s'):.2f} s when it imports torch "
            f"first ({_med(over, 'torch_import_s'):.2f} s of it torch). With the data ({_med(over, 'before_fit_s'):.2f} s "
            f"before fit) and one bare epoch ({_med(over, 'epoch_s'):.2f} s) no study's first result can come before "
            f"{floor:.2f} s here; the target of {TARGETS['first_result_s']:g} s is "
            f"{'below' if floor >= TARGETS['first_result_s'] else 'above'} that floor, and Tune adds "
            f"{first - floor:.2f} s above it. Less the same worker start (which the bare loop leaves out), "
            f"fit / bare loop side by side is {_med(over, 'ratio_fit_less_floor'):.3f}.")


def targets(stored: dict) -> list[str]:
    lines = ["## Targets", "", "| target | measured (median) | before issue 17 (quiet run) | met |",
             "| --- | --- | --- | --- |"]
    notes = []
    if "overhead" not in stored:
        lines += [f"| Tune fit / bare loop side by side <= {TARGETS['overhead']} | not measured yet (`make bench`) | "
                  f"{BEFORE['ratio_fit_vs_parallel']} | not measured yet |",
                  f"| launch to first result < {TARGETS['first_result_s']:g} s | not measured yet (`make bench`) | "
                  f"{BEFORE['first_result_s']} s | not measured yet |"]
    else:
        over = stored["overhead"]
        ratio, first = _med(over, "ratio_fit_vs_parallel"), _med(over, "first_result_s")
        lines.append(_row(f"Tune fit / bare loop side by side <= {TARGETS['overhead']}", f"{ratio:.3f}",
                          BEFORE["ratio_fit_vs_parallel"], ratio <= TARGETS["overhead"]))
        lines.append(_row(f"launch to first result < {TARGETS['first_result_s']:g} s", f"{first:.2f} s",
                          f"{BEFORE['first_result_s']} s", first < TARGETS["first_result_s"]))
        split = {k: _med(over, k) for k in NEXT_LEVER}
        biggest = max(split, key=split.get)
        if ratio > TARGETS["overhead"] or first >= TARGETS["first_result_s"]:
            notes.append(
                f"Not met, measured reason: per trial {_med(over, 'trial_start_cost_s'):.3f} slot-s go outside the "
                f"trainable; launch to first result splits into before fit {split['before_fit_s']:.2f} s, fit to "
                f"first trial {split['to_first_trial_s']:.2f} s, first trial to its first result "
                f"{split['first_trial_to_result_s']:.2f} s (largest: `{biggest}`). Next lever: {NEXT_LEVER[biggest]}.")
            if any("floor_torch_s" in r for r in over):
                notes.append(_floor_note([r for r in over if "floor_torch_s" in r], first))
    if "throughput" in stored:
        r = _med(stored["throughput"], "ratio")
        lines.append(_row(f"images/s in a trial / bare >= {TARGETS['throughput']}", f"{r:.3f}",
                          BEFORE["throughput"], r >= TARGETS["throughput"]))
    if "asha" in stored:
        a = stored["asha"]
        e, g = _med(a, "epoch_ratio"), _med(a, "acc_gap_points")
        lines.append(_row(f"ASHA epochs / FIFO epochs <= {TARGETS['asha_epochs']}", f"{e:.3f}",
                          BEFORE["asha_epochs"], e <= TARGETS["asha_epochs"]))
        lines.append(_row(f"best accuracy FIFO - ASHA <= {TARGETS['asha_gap']:g} point", f"{g:.2f}",
                          BEFORE["asha_gap"], g <= TARGETS["asha_gap"]))
    if "scale" in stored:
        from benchmarks.scale import growth
        notes.append("Cost as the work grows: " + growth(stored["scale"]))
    if "studies" in stored:
        run = stored["studies"]
        from studies import registry
        total = run["total_s"] / 60
        ran = [r for r in run["rows"] if r["wall_s"] is not None]
        whole = len(ran) == len(registry.STUDIES)
        lines.append(_row(f"`make report`, profile {run['profile']}, every study, <= {TARGETS['report_min']:g} min",
                          f"{total:.1f} min" + ("" if whole else f" ({len(ran)} studies only)"), "",
                          whole and total <= TARGETS["report_min"]))
        if ran and total > TARGETS["report_min"]:
            slow = sorted(ran, key=lambda r: -r["wall_s"])[:3]
            notes.append("Whole report not within the target: the largest studies are " + ", ".join(
                f"{r['study']} {r['wall_s']:.0f} s ({r.get('trials', '?')} trials, {r.get('epochs', '?')} epochs)"
                for r in slow) + f". Next lever: {REPORT_LEVER}")
    if "studies" in stored and stored["studies"].get("usage"):
        run = stored["studies"]
        per = run["total_s"] / 60 / max(run["settled"], 1)
        lines.append(_row(f"machine-minutes per settled finding, `make report` {run['profile']} <= "
                          f"{TARGETS['min_per_settled']:g}", f"{per:.2f} ({run['total_s'] / 60:.1f} min / "
                          f"{run['settled']} settled)", "~3.6 (51 min / 14)", per <= TARGETS["min_per_settled"]))
        lines.append(_share_row(run, "fixed design"))
    if "budget" in stored:
        b = stored["budget"]
        lines.append(_row(f"settled findings with `BUDGET={b['budget']}`, {b['profile']} >= {BUDGET_SETTLED_TARGET}",
                          f"{b['settled']} of {b['findings']} in {b['total_s'] / 60:.1f} min",
                          f"{FIXED_SETTLED_BEFORE} in 51 min (fixed design)", b["settled"] >= BUDGET_SETTLED_TARGET))
        lines.append(_share_row(b, "budgeted"))
        per = b["total_s"] / 60 / max(b["settled"], 1)
        lines.append(_row(f"machine-minutes per settled finding, `BUDGET={b['budget']}` <= {TARGETS['min_per_settled']:g}",
                          f"{per:.2f} ({b['total_s'] / 60:.1f} min / {b['settled']} settled)", "~3.6 (51 min / 14)",
                          per <= TARGETS["min_per_settled"]))
    if "suite" in stored:
        t = stored["suite"]
        lines.append(_row(f"`make test` on a fresh clone < {TARGETS['suite_min']:g} min",
                          f"{t['total_s'] / 60:.1f} min ({t['pytest']})", "15 min 37 s",
                          t["total_s"] / 60 < TARGETS["suite_min"] and t["returncode"] == 0))
    return lines + [""] + [n + "\n" for n in notes]


def _share_row(run: dict, design: str) -> str:
    share = run["usage"]["share_in_trials"]
    return _row(f"slot-seconds inside trials / slot-seconds of the report >= {TARGETS['slot_share']}",
                f"{share:.3f} ({design})", "not measured", share >= TARGETS["slot_share"])


def overhead_section(over: list[dict]) -> list[str]:
    o = over[0]
    seq = [r for r in over if "bare_s" in r]
    lines = ["## 1. Tune overhead (regularization study, local profile, FIFO)", "",
             f"{o['trials']} trials x {o['epochs']} epochs, {o['slots']} slots of 1 CPU, the runner's defaults "
             "(`studies.runner.Bookkeeping`). Each repeat runs the bare loop side by side, then Tune, back to back.", "",
             "| figure | value | target |", "| --- | --- | --- |",
             f"| wall(fit) / wall(bare loop in {o['slots']} processes at once) | {_v(over, 'ratio_fit_vs_parallel')} "
             f"| <= {TARGETS['overhead']} |",
             f"| launch to first reported result, s | {_v(over, 'first_result_s')} | < {TARGETS['first_result_s']:g} |",
             f"| ... before `Tuner.fit()` (data, manifest, Tuner), s | {_v(over, 'before_fit_s')} | |",
             f"| ... fit to first trial started, s | {_v(over, 'to_first_trial_s')} | |",
             f"| ... first trial started to its first result (worker, imports, one epoch), s | "
             f"{_v(over, 'first_trial_to_result_s')} | |",
             f"| per-trial cost outside the trainable ((fit x slots - in-trial seconds) / trials), s | "
             f"{_v(over, 'trial_start_cost_s')} | |",
             f"| study fit, s | {_v(over, 'fit_s')} | |",
             f"| bare loop side by side, s | {_v(over, 'bare_parallel_s')} | |"]
    floor = [r for r in over if "floor_torch_s" in r]  # benchmarks/launch.py; absent from older runs
    if floor:
        lines += [f"| floor: fit to a trivial trainable's first result, s | {_v(floor, 'floor_worker_s')} | |",
                  f"| floor: the same, importing torch first, s | {_v(floor, 'floor_torch_s')} | |",
                  f"| floor: before fit + that + one bare epoch, s | {_v(floor, 'floor_first_result_s')} | |",
                  f"| wall(fit less the floor's worker start) / wall(bare side by side) | "
                  f"{_v(floor, 'ratio_fit_less_floor')} | |"]
    if seq:
        lines += [f"| bare loop one process, s | {_v(seq, 'bare_s')} | |",
                  f"| wall(fit) / (wall(bare loop) / slots) | {_v(seq, 'ratio_fit')} | |",
                  f"| wall(whole script, with outputs) / (wall(bare) / slots) | {_v(seq, 'ratio_script')} | |",
                  f"| the machine's own limit: bare side by side / (bare / slots) | {_v(seq, 'ratio_machine')} | |"]
    return lines + [""]



def _row(target: str, measured: str, before, met: bool) -> str:
    """One row of the targets table: target | measured | before | met."""
    return f"| {target} | {measured} | {before} | {'yes' if met else 'no'} |"

def render(stored: dict) -> str:
    machines = {}
    for name, part in stored.items():
        took = f" {part['seconds'] / 60:.1f} min" if part.get("seconds") else ""
        machines.setdefault(part["machine"], []).append(name + took)
    lines = ["# Benchmarks", "", *(f"{m} (parts: {', '.join(names)})" for m, names in machines.items()), "",
             "Each figure: median (min, max, n runs). Written by `make bench` (`python -m benchmarks`); "
             "`python -m benchmarks levers|scale|studies` replace their own sections. The machine may be "
             "shared, so absolute seconds are noisy; the ratios are measured side by side in the same run.", ""]
    v = {k: part["value"] for k, part in stored.items()}
    lines += targets(v)
    if "verdicts" in v:
        from benchmarks import verdicts
        lines += verdicts.render(v["verdicts"])
    if "overhead" in v:
        lines += overhead_section(v["overhead"])
    if "levers" in v:
        from benchmarks import levers
        lines += ["## 1b. Tune's own costs, one lever at a time (`python -m benchmarks levers`)", "",
                  levers.report(v["levers"])]
    if "scale" in v:
        from benchmarks import scale
        lines += ["## 2. Cost as the work grows (`python -m benchmarks scale --trials 10,100,1000`)", "",
                  scale.report(v["scale"])]
    if "throughput" in v:
        t = v["throughput"]
        lines += ["## 3. In-trial throughput (lr_sweep CNN, one trial at a time)", "",
                  "| figure | value | target |", "| --- | --- | --- |",
                  f"| images/s inside a Tune trial | {_v(t, 'tune_images_per_s')} | |",
                  f"| images/s bare PyTorch loop | {_v(t, 'bare_images_per_s')} | |",
                  f"| ratio | {_v(t, 'ratio')} | >= {TARGETS['throughput']} |", ""]
    if "asha" in v:
        a = v["asha"]
        lines += ["## 4. ASHA vs FIFO (lr_sweep, Optuna, 10 learning rates, 8 epochs)", "",
                  "| figure | value | target |", "| --- | --- | --- |",
                  f"| ASHA epochs / FIFO epochs | {_v(a, 'epoch_ratio')} | <= {TARGETS['asha_epochs']} |",
                  f"| ASHA CPU s / FIFO CPU s | {_v(a, 'cpu_ratio')} | |",
                  f"| best val. acc. FIFO - ASHA, points | {_v(a, 'acc_gap_points')} | <= {TARGETS['asha_gap']} |",
                  f"| FIFO epochs / ASHA epochs (first run) | {a[0]['fifo']['epochs']} / {a[0]['asha']['epochs']} | |", ""]
    if "studies" in v:
        from benchmarks import studies
        lines += ["## 5. Wall time of each study (`python -m benchmarks studies`)", "", studies.report(v["studies"])]
    if "budget" in v:
        from benchmarks import budget
        lines += ["## 6. The report under a budget (`python -m benchmarks budget --budget 30m`)", "",
                  budget.report(v["budget"])]
    if "gpu" in v and v["gpu"].get("share"):
        from benchmarks.gpu import share_table
        g = v["gpu"]
        lines += [f"## 7. Several trials on one GPU ({g['device']}; `python benchmarks/gpu.py`)", "",
                  "Items per second that 1, 2, 4, 8 trials of each launch-bound study make together on one "
                  "GPU, and the full profile's GPU-hours at the best of them (every trial to its last epoch "
                  "over the full training set: an upper bound).", "",
                  share_table(g["share"], g["full_profile_gpu_hours"]), ""]
    else:
        lines += ["## 7. Several trials on one GPU", "",
                  "Not measured: no GPU machine was at hand (`python benchmarks/gpu.py` there, then "
                  "`python -m benchmarks render --gpu-json gpu.json` here). The CPU path is tested "
                  "(tests/test_gpu_bench.py).", ""]
    if "suite" in v:
        from benchmarks import suite
        lines += ["## 8. The test suite (`python -m benchmarks suite`)", "", suite.report(v["suite"])]
    return "\n".join(lines).rstrip() + "\n"
