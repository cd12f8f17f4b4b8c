"""Target 3: the whole report, timed through the very path `make report` takes
(studies.report: run_studies, each study in its own process, side by side on one Ray, then the
page from what they left), into a fresh storage so that nothing is skipped. Per study: the process's wall
time (as run_studies measured it), the study's own recorded wall time (analysis.study_result.WALL_FILE),
its trials, epochs and in-trial seconds."""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from analysis.study_result import wall_seconds
from studies import registry


def measure(profile: str, names=None, storage: str | None = None) -> dict:
    """Build the report of `names` (default: every study) under `storage` (default: a fresh
    temporary folder; the report page goes to <storage>/report)."""
    from studies.report import make_report, run_studies
    names = list(names or registry.STUDIES)
    storage = Path(storage or tempfile.mkdtemp(prefix="bench-report-"))
    said: list[str] = []
    t0 = time.perf_counter()
    outcomes = run_studies(storage, profile, names, log=said.append)
    try:
        make_report(storage, profile, tuple(names), storage / "report", run=False, log=said.append)
    except SystemExit as err:  # a study that failed: the rows say which
        said.append(str(err))
    total = time.perf_counter() - t0
    rows = []
    for name in names:
        folder = storage / name
        row = {"study": name, "wall_s": outcomes[name].seconds, "study_wall_s": wall_seconds(folder)}
        if (folder / "trials.parquet").exists():
            t = pd.read_parquet(folder / "trials.parquet")
            row.update(trials=len(t), epochs=int(t["epochs"].sum()), in_trial_s=float(t["wall_s"].fillna(0).sum()))
        if (folder / "manifest.json").exists():
            row["seeds"] = len(json.loads((folder / "manifest.json").read_text()).get("seeds") or [])
        rows.append(row)
    from benchmarks.budget import settled
    from studies.report import RUN_FILE
    usage = json.loads((storage / RUN_FILE).read_text()) if (storage / RUN_FILE).exists() else None
    return {"profile": profile, "total_s": total, "storage": str(storage), "rows": rows, "usage": usage,
            **settled(storage, names),
            "log": [ln for ln in said if "FAILED" in ln or ln.startswith(("scorecard", "report built without"))]}


def _f(x, fmt=".1f") -> str:
    return "n/a" if x is None else format(x, fmt)


def report(run: dict) -> str:
    rows = run["rows"]
    lines = [f"Profile `{run['profile']}`: `make report`'s own path (studies.report.make_report, each study "
             "in its own process, side by side on one Ray) into a fresh storage. Process = the study's "
             "process from launch to exit (Ray start, data, trials, outputs); study = the wall time the study "
             "recorded itself; in-trial = the trials' own seconds summed over slots.", "",
             "| study | process wall, s | study wall, s | seeds | trials | epochs | in-trial, s |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['study']} | {_f(r['wall_s'])} | {_f(r.get('study_wall_s'))} | {r.get('seeds', 'n/a')} | "
                     f"{r.get('trials', 'n/a')} | {r.get('epochs', 'n/a')} | {_f(r.get('in_trial_s'))} |")
    done = [r for r in rows if r["wall_s"] is not None]
    lines += ["", f"Whole report: {run['total_s'] / 60:.1f} min wall ({len(done)} of {len(registry.STUDIES)} studies "
              f"ran; the page build included)."]
    if run.get("usage"):
        u = run["usage"]
        lines.append(f"Settled: {run['settled']} of {run['findings']} counted findings; "
                     f"{u['share_in_trials']:.1%} of {u['slots']:g} slots' seconds inside trials.")
    lines += [f"- {ln}" for ln in run.get("log", [])]
    return "\n".join(lines) + "\n"
