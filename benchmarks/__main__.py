"""`python -m benchmarks [all|levers|scale|studies|verdicts]`: run benchmarks several times and write
benchmarks/RESULTS.md (median, min, max, n). Every run's raw figures go to benchmarks/results.json,
one entry per part, so that a part run alone (`scale --trials 1000`) replaces only its own section."""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).parent


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 10,100,1000, got {text!r}") from None
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError(f"sizes must be > 0, got {text!r}")
    return sizes


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse(argv=None) -> argparse.Namespace:
    p = _Parser(prog="python -m benchmarks")
    p.add_argument("part", nargs="?", default="all", choices=("all", "overhead", "levers", "scale", "studies", "verdicts", "budget", "suite", "render"),
                   help="all: what `make bench` runs (overhead, throughput, ASHA, scale 10,100, then the whole "
                        "report as `make report` builds it); overhead: Tune against the bare loop and the launch floor; levers: each Tune setting's cost; scale: many trivial "
                        "trials; studies: the whole report's wall time, study by study; "
                        "verdicts: false-verdict rates on simulated studies (no Ray); budget: the report under "
                        "--budget (make report BUDGET=...); suite: `make test` on a fresh clone; "
                        "render: RESULTS.md again from results.json, nothing run")
    p.add_argument("--repeats", type=int, default=3, help="repeats (levers: rounds) of each figure")
    p.add_argument("--epochs", type=int, default=4, help="epochs per trial in the overhead study")
    p.add_argument("--trials", type=_sizes, default=[10, 100], help="scale: numbers of trials, e.g. 10,100,1000")
    p.add_argument("--trial-s", type=float, default=0.0, help="scale: seconds of sleep in each trivial trial")
    p.add_argument("--levers", help="levers: comma-separated names (default: all of benchmarks/levers.py)")
    p.add_argument("--profile", default="local", choices=("smoke", "local", "full"), help="studies: profile")
    p.add_argument("--only", help="studies: comma-separated names (default: every study of studies/registry.py)")
    p.add_argument("--storage", help="studies: where the report's studies go (default: a fresh temporary folder; "
                                     "the page goes to <storage>/report)")
    p.add_argument("--gpu-json", help="render: merge the gpu.json a GPU machine wrote (benchmarks/gpu.py) as "
                                      "the GPU section")
    p.add_argument("--budget", default="30m", help="budget: the report's budget (default 30m)")
    p.add_argument("--studies-simulated", type=int, default=10_000, help="verdicts: simulated studies")
    p.add_argument("--note", default="", help="said beside the machine for the parts run now, e.g. 'shared, noisy'")
    p.add_argument("--results", default=str(HERE / "results.json"), help="raw figures (read, then updated)")
    p.add_argument("--out", default=str(HERE / "RESULTS.md"))
    args = p.parse_args(argv)
    if args.repeats <= 0:
        p.error("--repeats must be > 0")
    if args.levers:
        from benchmarks.levers import LEVERS
        unknown = [n for n in args.levers.split(",") if n not in LEVERS]
        if unknown:
            p.error(f"--levers: unknown lever {', '.join(unknown)}; known: {', '.join(LEVERS)}")
    if args.only:
        from studies import registry
        unknown = [s for s in args.only.split(",") if s not in registry.STUDIES]
        if unknown:
            p.error(f"--only: unknown study {', '.join(unknown)}; known: {', '.join(registry.STUDIES)}")
    return args


def timed(measure) -> tuple:
    t0 = time.perf_counter()
    value = measure()
    return value, time.perf_counter() - t0


def run_parts(args) -> dict:
    first = {}
    if args.part in ("all", "verdicts"):  # no Ray: the verdict code on simulated studies
        from benchmarks import verdicts
        first["verdicts"] = timed(lambda: verdicts.simulate(args.studies_simulated))
    if args.part == "suite":  # its own venv and Ray, in a fresh clone
        from benchmarks import suite
        return {"suite": timed(suite.measure)}
    if args.part == "budget":  # one Ray of its own, started by the report
        from benchmarks import budget
        from studies import registry
        names = args.only.split(",") if args.only else registry.STUDIES
        return {"budget": timed(lambda: budget.measure(args.profile, args.budget, names, args.storage))}
    if args.part == "verdicts":
        return first
    import ray

    from benchmarks import asha_vs_fifo, levers, overhead, scale, studies, throughput
    from studies import registry
    slots = os.cpu_count()
    ray.init(num_cpus=slots, include_dashboard=False, logging_level="WARNING")
    new = first
    try:
        if args.part in ("all", "overhead"):
            # the sequential bare loop (the machine's own limit) once: it is the slowest part
            new["overhead"] = timed(lambda: [overhead.measure(args.epochs, slots, sequential=(i == 0))
                                             for i in range(args.repeats)])
        if args.part == "all":
            # one repeat fewer for the figures without a target of issue 17: `make bench` stays ~6 min
            few = max(1, args.repeats - 1)
            new["throughput"] = timed(lambda: [throughput.measure(epochs=2) for _ in range(few)])
            new["asha"] = timed(lambda: [asha_vs_fifo.measure(samples=10, epochs=8) for _ in range(few)])
        if args.part in ("all", "scale"):
            new["scale"] = timed(lambda: [scale.measure(n, slots, trial_s=args.trial_s)
                                          for _ in range(args.repeats if args.part == "scale" else 1)
                                          for n in args.trials])
        if args.part == "levers":
            new["levers"] = timed(lambda: levers.measure(args.epochs, slots, args.repeats,
                                           args.levers.split(",") if args.levers else None))
    finally:
        ray.shutdown()
    if args.part in ("all", "studies"):
        # after this driver's Ray is down: each study starts its own, as under `make report`
        names = args.only.split(",") if args.only else registry.STUDIES
        new["studies"] = timed(lambda: studies.measure(args.profile, names, args.storage))
    return new


def machine() -> str:
    return (f"Machine: {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}); "
            f"torch {metadata.version('torch')}, ray {metadata.version('ray')}, Python {platform.python_version()}.")


def main(argv=None) -> None:
    from benchmarks.report import render
    args = parse(argv)
    path = Path(args.results)
    stored = json.loads(path.read_text()) if path.exists() else {}
    if isinstance((stored.get("studies") or {}).get("value"), list):
        del stored["studies"]  # the old per-study runs, not the whole report: measured again by `studies`
    if args.gpu_json:  # measured on a GPU machine without Ray: its figures, as written there
        gpu = json.loads(Path(args.gpu_json).read_text())
        stored["gpu"] = {"machine": f"{gpu.get('device')}, torch {gpu.get('torch')}", "value": gpu,
                         "seconds": gpu.get("wall_s")}
    for part, (value, seconds) in (run_parts(args) if args.part != "render" else {}).items():
        stored[part] = {"machine": f"{machine()} {args.note}".strip(), "value": value, "seconds": seconds}
    path.write_text(json.dumps(stored, indent=1, default=float))
    Path(args.out).write_text(render(stored))
    print(Path(args.out).read_text())


if __name__ == "__main__":
    main()
