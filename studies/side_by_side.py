"""Study processes side by side on one Ray: the report starts (or joins) one Ray and every study
process joins it with --address, so the trials of several studies share the slots and no slot
idles while one study loads its data, builds its outputs or waits for its last trial. Each study
still runs in its own process (a crash stays in its study; its results are what it would give
alone: the arm choice does not depend on the order results arrive, studies/per_arm.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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

    def stop(self) -> None:
        """Interrupt what still runs (Tune keeps its state: the same command with RESUME=1 goes on)."""
        for proc, _, _ in self.running.values():
            proc.terminate()
        for proc, _, _ in self.running.values():
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
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
