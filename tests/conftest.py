"""Shared fixtures and the two test tiers.

Tiers: a test that starts Ray or runs a study's process is marked `ray` here, at collection (it
uses the `ray_local` fixture, directly or through another fixture, or its source or a fixture's
calls `run_study` / `run_script` / `ray.init` / `Popen` / a `Cluster`, or its module sets `pytestmark = pytest.mark.ray`).
`make test-fast` runs the rest (`pytest -m "not ray"`: models, loaders, loop, verdicts, the
study contract); `make test` runs all (what CI runs).

Fixtures: one local Ray for the whole session (a Ray start costs seconds), and each study's smoke
run, made once per session and shared by every test that reads it (`smoke_run(name)`)."""
from __future__ import annotations

import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# calls that start Ray (in this process or in a study's own process)
_STARTS_RAY = re.compile(r"\brun_study\(|\brun_script\(|\bray\.init\(|\bPopen\(|Cluster\(")


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _starts_ray(item) -> bool:
    if "ray_local" in getattr(item, "fixturenames", ()):
        return True
    funcs = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info else ()):
        funcs += [d.func for d in defs if d.baseid]  # the project's fixtures, not pytest's own
    return any(_STARTS_RAY.search(_source(f)) for f in funcs if f is not None)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _starts_ray(item):
            item.add_marker(pytest.mark.ray)
    # the files with the most Ray tests first: pytest-xdist (`make test`: two processes, one file
    # each at a time) then starts the longest work first, and neither process idles at the end
    rays: dict[str, int] = {}
    for item in items:
        rays[item.fspath] = rays.get(item.fspath, 0) + ("ray" in item.keywords)
    items.sort(key=lambda item: -rays[item.fspath])  # stable: each file's tests keep their order


def pytest_configure(config):
    config.addinivalue_line("markers", "ray: runs studies through real Ray Tune (deselect with -m 'not ray')")


@pytest.fixture(scope="session")
def ray_local(tmp_path_factory):
    import ray
    with pytest.MonkeyPatch.context() as env:
        # a private torch hub cache (torchvision's weights) for the driver and every worker, which
        # inherit the environment Ray starts with: no test reads or writes the user's ~/.cache/torch
        env.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("torch_home")))
        # the full sha256 of the stand-in weight files the tests write there (tests/miniature.py)
        env.setenv("TUNESTUDIES_WEIGHTS_PINS", str(tmp_path_factory.mktemp("pins") / "weights.json"))
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
        yield ray
        ray.shutdown()


def run_study(name: str, storage: Path, *args: str) -> Path:
    """Run studies/<name>.py in the smoke profile; returns its results folder."""
    study = importlib.import_module(f"studies.{name}").STUDY
    from studies.runner import run
    return run(study, ["--profile", "smoke", "--storage-path", str(storage), *args])


def run_script(name: str, *args: str, timeout: int = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """studies/<name>.py as a user runs it, in a fresh process."""
    return subprocess.run([sys.executable, str(ROOT / "studies" / f"{name}.py"), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, "RAY_ADDRESS": "", **(env or {})})


def shared_folder(tmp_path_factory) -> Path:
    """A folder every test process of this run sees: with pytest-xdist (`make test` runs two), the
    parent of the workers' own temporary folders; else this run's own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def smoke_run(ray_local, tmp_path_factory):
    """`smoke_run(name)`: the results folder of that study's smoke run (two trials at a time),
    run the first time any test process asks and shared by every test after, in every process
    (tests only read it). A lock makes the other processes wait for the one running it."""
    from filelock import FileLock
    shared = shared_folder(tmp_path_factory) / "smoke_runs"
    shared.mkdir(exist_ok=True)

    def get(name: str) -> Path:
        storage, done = shared / name, shared / f"{name}.done"
        with FileLock(str(shared / f"{name}.lock")):
            if not done.exists():
                shutil.rmtree(storage, ignore_errors=True)  # a run a failed process left half-done
                done.write_text(str(run_study(name, storage, "--max-concurrent", "2")))
        return Path(done.read_text())
    return get


@pytest.fixture(scope="session")
def regularization_run(smoke_run) -> Path:
    return smoke_run("regularization")


def check_findings(folder: Path, seeds: int) -> dict:
    """A study's judged findings (claim -> Finding), each checked for what a verdict must carry:
    a SESOI and its reason where a test decides it, an interval behind every settled verdict, no
    settled comparison of arms on fewer than 2 seeds, and findings.md showing the same verdicts."""
    from analysis.findings import (
        CHECK,
        CHECK_VERDICT,
        EVIDENCE,
        FIXED,
        INCONCLUSIVE,
        NOT_REPRODUCED,
        REPRODUCED,
        UNTESTABLE,
    )
    from analysis.study_result import StudyResult
    found = StudyResult.load(folder).findings
    text = (folder / "findings.md").read_text()
    for f in found:
        if f.kind == UNTESTABLE:  # listed with its reason under "Untestable here", never judged
            assert f"| «{' '.join(f.quote.split())}» |" in text.split("## Untestable here")[1]
            continue
        assert f.verdict in ((REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE) if f.kind == EVIDENCE
                             else tuple(CHECK_VERDICT.values()))
        assert f"| {f.claim} | **{f.caveat or f.verdict}** |" in text  # a caveat starts with its verdict
        assert not f.caveat or f.caveat.startswith(f.verdict)
        assert f.kind == EVIDENCE or f"| {f.claim} |" in text.split("## Checks (sanity, not evidence)")[1]
        tested = [c for c in f.comparisons if c.kind != FIXED]
        if tested and f.kind != CHECK:
            assert f.sesoi is not None and f.why and f.n_seeds <= seeds
            if f.verdict != INCONCLUSIVE:  # a trend's interval spans its points, even on one seed
                assert f.interval is not None and (f.n_seeds >= 2 or all(c.fisher for c in tested))
    return {f.claim: f for f in found if f.kind != UNTESTABLE}


def arm_rows(folder: Path):
    """table.csv's arm rows (the trivial-baseline rows that follow them carry no seeds)."""
    import pandas as pd
    table = pd.read_csv(Path(folder) / "table.csv")
    return table[table["kind"] == "arm"].set_index("arm")
