"""Study processes side by side on one Ray: the report starts (or joins) one Ray and every study
process joins it with --address, so the trials of several studies share the slots and no slot
idles while one study loads its data, builds its outputs or waits for its last trial. Each study
still runs in its own process (a crash stays in its study; its results are what it would give
alone: the arm choice does not depend on the order results arrive, studies/per_arm.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from analysis.study_result import state

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_FILE = "console.txt"


@dataclass
class Ended:
    name: str
    seconds: float
    returncode: int
    reason: str          # the last line of its stderr when it failed


def one_ray(address: str | None) -> tuple[str, bool]:
    """(the address study processes join, whether this process started that Ray). A local Ray is
    started here unless `address` or $RAY_ADDRESS names one, or this process already has one."""
    import ray
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        return address, False
    started = not ray.is_initialized()
    if started:
        ray.init(include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    return ray.get_runtime_context().gcs_address, started


def slots(study_opts) -> float:
    """Trials the joined Ray holds at once: its GPUs over --gpus-per-trial when that is > 0, else
    its CPUs over --cpus-per-trial (each 1 unless the study options say otherwise)."""
    import ray
    opts = list(study_opts)

    def opt(flag, default):
        return float(opts[opts.index(flag) + 1]) if flag in opts[:-1] else default
    total = ray.cluster_resources()
    gpus = opt("--gpus-per-trial", 0.0)
    if gpus > 0:
        return total.get("GPU", 0) / gpus
    return total.get("CPU", 0) / opt("--cpus-per-trial", 1.0)


class SideBySide:
    """At most `parallel` study processes at once, all joined to the Ray at `address`."""

    def __init__(self, storage: Path, profile: str, study_opts, address: str, parallel: int):
        self.storage, self.profile, self.opts = Path(storage), profile, list(study_opts)
        self.address, self.parallel = address, max(1, parallel)
        self.running: dict[str, tuple[subprocess.Popen, float, Path]] = {}
        (self.storage / ".console").mkdir(parents=True, exist_ok=True)

    @property
    def full(self) -> bool:
        return len(self.running) >= self.parallel

    def start(self, name: str, extra=()) -> None:
        cmd = [sys.executable, str(ROOT / "studies" / f"{name}.py"), "--profile", self.profile,
               "--storage-path", str(self.storage), "--address", self.address, *extra, *self.opts]
        log = self.storage / ".console" / f"{name}.txt"
        with open(log, "w") as out:  # a file, not a pipe: a long study's output never blocks it
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)
        self.running[name] = (proc, time.monotonic(), log)

    def wait(self, poll_s: float = 0.5) -> Ended:
        """The next study process to end (its output appended to <study>/console.txt)."""
        while True:
            for name, (proc, began, log) in list(self.running.items()):
                if proc.poll() is None:
                    continue
                del self.running[name]
                text = log.read_text(errors="replace")
                folder = self.storage / name
                if folder.is_dir():
                    with open(folder / CONSOLE_FILE, "a") as kept:
                        kept.write(text)
                lines = [ln for ln in text.strip().splitlines() if ln.strip()]
                reason = lines[-1] if proc.returncode and lines else ("no message" if proc.returncode else "")
                return Ended(name, time.monotonic() - began, proc.returncode, reason)
            time.sleep(poll_s)

    def stop(self, grace_s: float = 60.0) -> None:
        """Interrupt what still runs as Ctrl-C would (Tune stores its state, so the same command
        with RESUME=1 goes on), then kill whatever is left after `grace_s`."""
        import signal
        for proc, _, _ in self.running.values():
            proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + grace_s
        for proc, _, _ in self.running.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.running.clear()


def in_trial_seconds(storage: Path, names) -> float:
    """The trials' own seconds summed over every study stored under `storage`."""
    import pandas as pd
    total = 0.0
    for name in names:
        path = Path(storage) / name / "trials.parquet"
        if path.exists():
            total += float(pd.read_parquet(path, columns=["wall_s"])["wall_s"].fillna(0).sum())
    return total


# ---------------------------------------------------------------- a report's run

RUN_FILE = "report_run.json"   # the last run: its wall time, slots, share inside trials, budget


@dataclass(frozen=True)
class Outcome:
    """What running one study did: `text` for the page, `seconds` its processes' wall time (None: not run)."""
    text: str
    seconds: float | None = None


def runnable(storage: Path, studies, resume: bool, log) -> tuple[list[tuple[str, list]], dict]:
    """([(study, extra arguments)] to run, {study: Outcome} of those left as they are). An
    interrupted study is resumed only when `resume` asks for it: a resume unpickles Tune's state
    (tuner.pkl, the searcher and scheduler) from its folder, so it runs whatever code whoever
    could write there put in it."""
    todo, outcome = [], {}
    for name in studies:
        folder = storage / name
        now = state(folder)
        if now == "complete":
            log(f"{name}: complete under {folder}, skipped")
            outcome[name] = Outcome("skipped (complete)")
        elif now == "interrupted" and not resume:
            log(f"{name}: interrupted under {folder}, not resumed (resuming unpickles Tune's state there: "
                f"make report RESUME=1, or --resume, if you trust that folder)")
            outcome[name] = Outcome("interrupted, not resumed (RESUME=1 resumes it)")
        else:
            todo.append((name, ["--resume"] if now == "interrupted" else []))
    return todo, outcome


class Run:
    """One Ray for the whole report, study processes side by side on it, and what they used:
    the share of slot-seconds spent inside trials."""

    def __init__(self, storage: Path, profile: str, study_opts, address, parallel, studies, log):
        self.storage, self.profile, self.opts, self.log = storage, profile, list(study_opts), log
        self.address, self.parallel, self.studies = address, parallel, list(studies)
        self.side = None

    def __enter__(self) -> Run:
        return self

    def ensure(self) -> None:
        """Start (or join) the report's Ray; nothing is started until something runs."""
        if self.side is not None:
            return
        address, self.own_ray = one_ray(self.address)
        self.slots = slots(self.opts)
        parallel = self.parallel or max(2, int(self.slots) + 1)
        self.side = SideBySide(self.storage, self.profile, self.opts, address, parallel)
        self.trial_s_before = in_trial_seconds(self.storage, self.studies)
        self.began = time.monotonic()
        self.log(f"one Ray for the report at {address}: {self.slots:g} slots, up to {parallel} studies at once")

    @staticmethod
    def count(resource: str) -> float:
        """How many CPUs or GPUs the joined Ray has (a budget in resource-hours is spread over them)."""
        import ray
        n = ray.cluster_resources().get(resource, 0)
        if n <= 0:
            raise ValueError(f"a budget in {resource.lower()}-hours, but this Ray cluster has no {resource}")
        return n

    def start(self, name: str, extra=(), what: str = "running") -> None:
        self.ensure()
        self.log(f"{name}: {what} ({self.profile}) ...")
        self.side.start(name, extra)

    def usage(self) -> dict | None:
        """Slot-seconds inside trials over slot-seconds of the report's run, None if nothing ran."""
        if self.side is None:
            return None
        wall = time.monotonic() - self.began
        inside = in_trial_seconds(self.storage, self.studies) - self.trial_s_before
        return {"wall_s": round(wall, 1), "slots": self.slots, "in_trial_s": round(inside, 1),
                "share_in_trials": round(inside / max(self.slots * wall, 1e-9), 3)}

    def __exit__(self, *exc) -> None:
        if self.side is not None:
            self.side.stop()
            if self.own_ray:
                import ray
                ray.shutdown()


def ended_outcome(e, log) -> Outcome:
    if e.returncode != 0:
        log(f"{e.name}: FAILED after {e.seconds:.0f} s (exit {e.returncode}): {e.reason}")
        return Outcome(f"failed: {e.reason}", e.seconds)
    log(f"{e.name}: done in {e.seconds:.0f} s")
    return Outcome(f"ran in {e.seconds:.0f} s", e.seconds)


def report_usage(storage: Path, usage: dict | None, log, **more) -> None:
    if usage is None:
        return
    usage.update(more)
    log(f"slots: {usage['share_in_trials']:.1%} of {usage['slots']:g} slots x {usage['wall_s']:.0f} s spent "
        f"inside trials")
    (storage / RUN_FILE).write_text(json.dumps(usage, indent=1, default=str))


