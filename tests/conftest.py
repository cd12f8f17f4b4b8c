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


def pytest_configure(config):
    config.addinivalue_line("markers", "ray: runs studies through real Ray Tune (deselect with -m 'not ray')")


@pytest.fixture(scope="session")
def ray_local(tmp_path_factory):
    import ray
    with pytest.MonkeyPatch.context() as env:
        # a private torch hub cache (torchvision's weights) for the driver and every worker, which
        # inherit the environment Ray starts with: no test reads or writes the user's ~/.cache/torch
        env.setenv("TORCH_HOME", str(tmp_path_factory.mktemp("torch_home")))
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
