"""Which of Tune's own costs matter: the overhead study run once per lever (one setting changed
from the defaults in studies.runner.Bookkeeping, or a TUNE_* variable), each against the bare loop
side by side measured in the same round, rounds repeated with the levers in rotating order."""
from __future__ import annotations

import math
import pickle
import statistics
import time

import ray

from benchmarks import overhead
from benchmarks.common import median_spread, parallel_bare_loop
from benchmarks.overhead import STUDY
from studies.runner import Bookkeeping


def _loggers(*names):
    def make():
        from ray.tune.logger import CSVLoggerCallback, JsonLoggerCallback, TBXLoggerCallback
        kinds = {"json": JsonLoggerCallback, "csv": CSVLoggerCallback, "tensorboard": TBXLoggerCallback}
        return [kinds[n]() for n in names]
    return make


# name -> (what it changes, Bookkeeping, TUNE_* variables, callbacks factory)
LEVERS = {
    "defaults": ("as `make_tuner` runs a study", Bookkeeping(), {}, None),
    "every_epoch": ("checkpoint every epoch (the old default)",
                    Bookkeeping(checkpoint_at_rungs=False, checkpoint_s=0.0), {}, None),
    "last_only": ("checkpoint only the last epoch (a floor: no crash protection)",
                  Bookkeeping(checkpoint_at_rungs=False, checkpoint_s=math.inf), {}, None),
    "keep_all": ("keep every checkpoint (`num_to_keep=None`: no forced experiment snapshots)",
                 Bookkeeping(keep=None), {}, None),
    "snapshot_60s": ("experiment snapshot at most every 60 s (`TUNE_GLOBAL_CHECKPOINT_S=60`)",
                     Bookkeeping(), {"TUNE_GLOBAL_CHECKPOINT_S": 60}, None),
    "with_csv": ("Tune's CSV logger back (progress.csv per trial; the defaults log JSON + TensorBoard only)",
                 Bookkeeping(), {}, _loggers("csv")),
    "prewarm": ("import the trainable in idle workers while the Tuner is built (`prewarm=True`)",
                Bookkeeping(prewarm=True), {}, None),
    "no_reuse": ("a new actor per trial (`reuse_actors=False`)", Bookkeeping(reuse_actors=False), {}, None),
}

# What was kept as the default, or rejected, and why (the measured delta is beside it in the table;
# a rejected lever measured clearly better than the defaults is flagged below the table).
DECISIONS = {
    "defaults": "kept",
    "every_epoch": "rejected (the old default): 4 checkpoints a trial here instead of 2, each a save, a copy "
                   "and (with keep 2) often a forced snapshot, for a crash bound the defaults keep anyway",
    "last_only": "rejected: a crash would redo the whole trial",
    "keep_all": "rejected: disk grows with every checkpoint of a long trial; with few checkpoints a trial "
                "forces about one snapshot",
    "snapshot_60s": "rejected for now: a driver crash could redo up to 60 s more; re-examine in a quiet run",
    "with_csv": "rejected: progress.csv is read by nothing here (the outputs come from result.json); it was "
                "a file write per result in the driver, which shares the 2 cores with the trials",
    "prewarm": "rejected: later first results in both rounds measured (the warm-up tasks hold the "
               "trials' CPUs, and Tune's actors gained nothing measurable)",
    "no_reuse": "rejected: a new process and torch import for every trial",
}


def object_store(data) -> dict:
    """What handing the data to trials costs: its pickled size, one put and one get."""
    t0 = time.perf_counter()
    ref = ray.put(data)
    put = time.perf_counter() - t0
    t0 = time.perf_counter()
    ray.get(ref)
    return {"mb": len(pickle.dumps(data)) / 1e6, "put_s": put, "get_s": time.perf_counter() - t0}


def measure(epochs: int, slots: int, rounds: int, names=None) -> dict:
    names = ["defaults", *[n for n in (names or LEVERS) if n != "defaults"]]  # the base of every delta
    configs, data = overhead.workload(epochs, slots)
    rows = []
    for r in range(rounds):
        bare = parallel_bare_loop(STUDY, configs, data, slots)
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            _, book, env, callbacks = LEVERS[name]
            run = overhead.tune_run(epochs, slots, len(configs), book, env, callbacks() if callbacks else ())
            rows.append({"lever": name, "round": r, "bare_parallel_s": bare,
                         "ratio": run["fit_s"] / bare, **run})
            print(f"round {r} {name}: fit/bare side by side {rows[-1]['ratio']:.3f}, "
                  f"first result {run['first_result_s']:.2f} s", flush=True)
    return {"epochs": epochs, "slots": slots, "trials": len(configs), "rows": rows,
            "object_store": object_store(data)}


def report(res: dict) -> str:
    rows = res["rows"]
    by = lambda name, key: [r[key] for r in rows if r["lever"] == name]
    base = {r["round"]: r["ratio"] for r in rows if r["lever"] == "defaults"}

    def deltas(name):  # against the defaults of the same round only: the load changes between rounds
        return [r["ratio"] - base[r["round"]] for r in rows if r["lever"] == name and r["round"] in base]
    lines = [f"{res['trials']} trials x {res['epochs']} epochs, {res['slots']} slots; each lever is one "
             "change from the defaults; ratio = wall(fit) / wall(bare loop side by side, same round). Levers "
             "run one after another within a round, so on a loaded machine the load drifts between them: "
             "with few rounds, deltas smaller than the defaults' own spread are drift, not effects.", "",
             "| lever | what it changes | fit / bare side by side | minus defaults, same round (median) | "
             "driver CPU s in fit | launch to first result, s | kept? |", "| --- | --- | --- | --- | --- | --- | --- |"]
    better = []
    for name, (what, *_rest) in LEVERS.items():
        if not by(name, "ratio"):
            continue
        delta = statistics.median(deltas(name)) if deltas(name) else float("nan")
        lines.append(f"| {name} | {what} | {median_spread(by(name, 'ratio'))} | {delta:+.3f} | "
                     f"{median_spread(by(name, 'driver_cpu_s'))} | {median_spread(by(name, 'first_result_s'))} | "
                     f"{DECISIONS[name]} |")
        if DECISIONS[name].startswith(("rejected", "not")) and deltas(name) and max(deltas(name)) < 0:
            better.append(name)
    if better:
        lines += ["", f"To re-examine in a quiet run: {', '.join(better)} measured better than the defaults "
                  "in every round where both ran."]
    d = [r for r in rows if r["lever"] == "defaults"]
    o = res["object_store"]
    lines += ["", "Launch to first result with the defaults, split: before `Tuner.fit()` (data, manifest, "
              f"Tuner) {median_spread(r['before_fit_s'] for r in d)} s; fit to first trial started "
              f"{median_spread(r['to_first_trial_s'] for r in d)} s; first trial started to its first result "
              f"(worker start, torch import, data, one epoch) {median_spread(r['first_trial_to_result_s'] for r in d)} s.",
              "", f"Object store: the data is {o['mb']:.2f} MB pickled; `ray.put` {o['put_s']:.3f} s, "
              f"`ray.get` {o['get_s']:.3f} s, once per trial start (zero-copy numpy on one node)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import json
    import os
    import sys
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="WARNING")
    res = measure(4, os.cpu_count(), int(sys.argv[1]), sys.argv[2].split(","))
    ray.shutdown()
    print(report(res))
    json.dump(res, open("/tmp/bench-levers.json", "w"))
