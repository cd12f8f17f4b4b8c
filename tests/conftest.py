"""Shared fixtures: one local Ray for the whole session (a Ray start costs seconds), and a
helper that runs a study's script in-process through the real runner and Ray Tune."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def ray_local():
    import ray
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


@pytest.fixture(scope="session")
def regularization_run(ray_local, tmp_path_factory) -> Path:
    """The regularization study in the smoke profile, run once and read by several tests."""
    return run_study("regularization", tmp_path_factory.mktemp("results"), "--max-concurrent", "2")


def check_findings(folder: Path, seeds: int) -> dict:
    """A study's judged findings (claim -> Finding), each checked for what a verdict must carry:
    a SESOI and its reason where a test decides it, an interval behind every settled verdict, no
    settled comparison of arms on fewer than 2 seeds, and findings.md showing the same verdicts."""
    from analysis.findings import FIXED, INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, load
    found = load(folder)
    text = (folder / "findings.md").read_text()
    for f in found:
        assert f.verdict in (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE)
        assert f"| {f.claim} | **{f.verdict}** |" in text
        tested = [c for c in f.comparisons if c.kind != FIXED]
        if tested:
            assert f.sesoi is not None and f.why and f.n_seeds <= seeds
            if f.verdict != INCONCLUSIVE:  # a trend's interval spans its points, even on one seed
                assert f.interval is not None and (f.n_seeds >= 2 or all(c.fisher for c in tested))
    return {f.claim: f for f in found}
