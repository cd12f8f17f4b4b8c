"""Tune's per-trial bookkeeping as the number of trials grows: many short trials of a trivial
trainable (a few reports, optionally a sleep), with the study runner's Tune settings, beside
Ray's own published release test (10,000 trials of 1 s on 16 CPUs)."""
from __future__ import annotations

import shutil
import tempfile
import time

from ray import tune

from studies.runner import Bookkeeping

# Ray's release test `tune_scalability_bookkeeping_overhead` / "result throughput": 10,000 trials
# of 1 s on 16 CPUs end in about 715 s against a 625 s minimum.
RAY_RELEASE = {"trials": 10_000, "trial_s": 1.0, "cpus": 16, "wall_s": 715.0, "minimum_s": 625.0}


def trivial(config):
    """`reports` results, `trial_s` seconds of sleep spread over them: no work to speak of."""
    for i in range(config["reports"]):
        if config["trial_s"]:
            time.sleep(config["trial_s"] / config["reports"])
        tune.report({"step": i + 1, "score": config["x"] * (i + 1)})


class Count(tune.Callback):
    def __init__(self):
        self.results, self.t0, self.first = 0, time.perf_counter(), None

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.results += 1
        self.first = self.first or time.perf_counter()


def measure(trials: int, slots: int, reports: int = 3, trial_s: float = 0.0) -> dict:
    book = Bookkeeping()
    storage = tempfile.mkdtemp(prefix="bench-scale-")
    count = Count()
    tuner = tune.Tuner(
        tune.with_resources(trivial, {"cpu": 1}),
        param_space={"x": tune.uniform(0, 1), "reports": reports, "trial_s": trial_s},
        tune_config=tune.TuneConfig(num_samples=trials, max_concurrent_trials=slots,
                                    reuse_actors=book.reuse_actors),
        run_config=tune.RunConfig(name="scale", storage_path=storage, verbose=0, callbacks=[count],
                                  checkpoint_config=tune.CheckpointConfig(num_to_keep=book.keep)))
    t0 = time.perf_counter()
    grid = tuner.fit()
    wall = time.perf_counter() - t0
    shutil.rmtree(storage, ignore_errors=True)
    assert grid.num_errors == 0 and len(grid) == trials and count.results == trials * reports
    minimum = trials * trial_s / slots
    return {"trials": trials, "slots": slots, "reports": reports, "trial_s": trial_s, "wall_s": wall,
            "s_per_trial": wall / trials, "results_per_s": count.results / wall,
            # slot-seconds per trial spent outside the trainable's own time
            "overhead_slot_s_per_trial": (wall - minimum) * slots / trials,
            "ratio_to_minimum": wall / minimum if minimum else None}


def ray_release_overhead() -> float:
    r = RAY_RELEASE
    return (r["wall_s"] - r["minimum_s"]) * r["cpus"] / r["trials"]


def report(rows: list[dict]) -> str:
    from benchmarks.common import median_spread
    r = RAY_RELEASE
    sizes = sorted({row["trials"] for row in rows})
    lines = [f"A trivial trainable ({rows[0]['reports']} reports, {rows[0]['trial_s']:g} s of sleep each trial), "
             f"{rows[0]['slots']} slots of 1 CPU, the runner's Tune settings (actor reuse, loggers).", "",
             "| trials | wall, s | s per trial | results per s | overhead, slot-s per trial |",
             "| --- | --- | --- | --- | --- |"]
    for n in sizes:
        sel = [row for row in rows if row["trials"] == n]
        lines.append(f"| {n} | {median_spread(x['wall_s'] for x in sel)} | "
                     f"{median_spread(x['s_per_trial'] for x in sel)} | "
                     f"{median_spread(x['results_per_s'] for x in sel)} | "
                     f"{median_spread(x['overhead_slot_s_per_trial'] for x in sel)} |")
    lines += ["", f"Ray's release test: {r['trials']:,} trials of {r['trial_s']:g} s on {r['cpus']} CPUs in about "
              f"{r['wall_s']:g} s against a {r['minimum_s']:g} s minimum ({r['wall_s'] / r['minimum_s']:.2f}x), "
              f"that is {ray_release_overhead():.3f} slot-s of overhead per trial. How ours grows: see Targets."]
    return "\n".join(lines) + "\n"


def growth(rows: list[dict]) -> str:
    """How the cost grows: the marginal wall seconds per added trial between consecutive sizes
    (medians), which leaves out the fixed start (Ray actors, first imports)."""
    import statistics
    sizes = sorted({row["trials"] for row in rows})
    if len(sizes) < 2:
        return "One size only: no growth measured."
    wall = {n: statistics.median(x["wall_s"] for x in rows if x["trials"] == n) for n in sizes}
    slots = rows[0]["slots"]
    steps = [(a, b, (wall[b] - wall[a]) / (b - a)) for a, b in zip(sizes, sizes[1:])]
    fixed = wall[sizes[0]] - sizes[0] * steps[0][2]
    text = ("; ".join(f"{a} -> {b} trials: {m:.3f} s per added trial ({m * slots:.3f} slot-s)" for a, b, m in steps)
            + f"; a fixed start of about {fixed:.1f} s. Ray's release test: {ray_release_overhead():.3f} slot-s "
            "per trial (16 CPUs).")
    if len(steps) < 2:
        return text + " Two sizes: one step, so whether the cost per trial grows is not measured."
    ratio = steps[-1][2] / steps[0][2]
    return text + (f" The marginal cost changes {ratio:.2f}x from the first step to the last: "
                   + ("about linear in the number of trials." if ratio < 1.25 else
                      "more than linear: each trial costs more as the experiment grows."))
