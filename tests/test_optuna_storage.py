"""--search optuna keeps each arm's Optuna study in SQLite beside the results, and
optuna-dashboard serves it."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import run_script


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_optuna_studies_are_stored_and_served(tmp_path):
    done = run_script("lr_sweep", "--profile", "smoke", "--search", "optuna", "--num-samples", "2",
                      "--storage-path", str(tmp_path), "-q")
    assert done.returncode == 0, done.stderr[-2000:]
    folder = tmp_path / "lr_sweep"
    db = folder / "optuna.db"
    assert db.exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    dists = [v["dist"] for v in manifest["nuisance"].values()]
    assert dists and all("object at 0x" not in d and "(" in d for d in dists), dists

    import optuna
    url = f"sqlite:///{db}"
    names = optuna.get_all_study_names(url)
    assert names and all(n.startswith("lr_sweep/") and "/seed" in n for n in names), names
    study = optuna.load_study(study_name=names[0], storage=url)
    assert study.metric_names == [manifest["metric"]]
    assert len(study.trials) == 2 and all(t.params for t in study.trials)

    dashboard = shutil.which("optuna-dashboard") or str(Path(sys.executable).parent / "optuna-dashboard")
    if not Path(dashboard).exists():
        pytest.skip("optuna-dashboard is not installed (pip install -e '.[test]')")
    port = _free_port()
    server = subprocess.Popen([dashboard, url, "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        answer, deadline = None, time.monotonic() + 60
        while answer is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as r:
                    answer = json.loads(r.read())
            except OSError:
                time.sleep(0.5)
        assert answer is not None, "optuna-dashboard did not answer within 60 s"
        served = {s["study_name"] for s in answer["study_summaries"]}
        assert set(names) <= served
    finally:
        server.terminate()
        server.wait(timeout=30)
