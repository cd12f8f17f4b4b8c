"""`make test` on a fresh clone of this commit, as CI runs it (set-up included: a new venv, the
install, the data fetch): its wall time and what pytest said."""
from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure() -> dict:
    where = Path(tempfile.mkdtemp(prefix="bench-suite-")) / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(where)], check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=where, capture_output=True,
                            text=True).stdout.strip()
    t0 = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=where, capture_output=True, text=True)
    total = time.perf_counter() - t0
    said = re.findall(r"=+ (.*(?:passed|failed).*) in ([0-9.]+)s", done.stdout)
    return {"commit": commit, "total_s": total, "returncode": done.returncode,
            "pytest": said[-1][0] if said else "no summary", "pytest_s": float(said[-1][1]) if said else None}


def report(run: dict) -> str:
    return (f"`make test` on a fresh clone of {run['commit']} (new venv, install, data fetch, then the suite): "
            f"{run['total_s'] / 60:.1f} min wall, exit {run['returncode']}; pytest: {run['pytest']}"
            + (f" in {run['pytest_s']:.0f} s" if run.get("pytest_s") else "") + ".\n")
