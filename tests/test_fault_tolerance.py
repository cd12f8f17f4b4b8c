"""Fault tolerance through the real runner and Ray Tune, with faults injected for real: a study's
driver killed with SIGKILL and resumed, trials that raise (once, or every time), a loss that
turns non-finite, and bad input to every study script. (A worker node killed during a multi-node
run: tests/test_cluster.py.)"""
from __future__ import annotations

import importlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from studies import registry
from tests.conftest import ROOT, arm_rows, run_study


def result_rows(folder: Path) -> list[dict]:
    path = folder / "result.json"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def attempts(folder: Path) -> int:
    """How many times Tune started the trial: its TensorBoard logger opens one file a start (the
    HParams file written after the analysis aside)."""
    return len([p for p in folder.glob("events.out.tfevents.*") if not p.name.endswith(".hparams")])


# ---------------------------------------------------------------- a trial that raises

@pytest.fixture(scope="module")
def faulty_run(ray_local, tmp_path_factory) -> Path:
    """lr_sweep: every trial raises once after epoch 1; the lr=0.3 arm raises at every attempt."""
    return run_study("lr_sweep", tmp_path_factory.mktemp("faults"), "--scheduler", "fifo",
                     "--set", "fail_at_epoch=1", "--set", "fail_always=lr=0.3")


def test_a_trial_that_raises_is_retried_from_its_checkpoint(faulty_run):
    trials = pd.read_parquet(faulty_run / "trials.parquet").set_index("arm")
    ok = trials.loc["lr=0.03"]
    assert ok["status"] == "completed" and ok["epochs"] == 2
    folder = faulty_run / ok["folder"]
    assert "InjectedFault: fail_at_epoch" in (folder / "error.txt").read_text()
    # epoch 2 came from a second start that restored epoch 1's checkpoint: one report since restore
    rows = result_rows(folder)
    assert [(r["epoch"], r["iterations_since_restore"]) for r in rows] == [(1, 1), (2, 1)]
    assert attempts(folder) == 2
    history = pd.read_parquet(faulty_run / "history.parquet")
    assert history[history["arm"] == "lr=0.03"]["epoch"].tolist() == [1, 2]


def test_a_trial_that_always_fails_ends_errored_and_the_study_completes(faulty_run):
    trials = pd.read_parquet(faulty_run / "trials.parquet").set_index("arm")
    bad = trials.loc["lr=0.3"]
    assert bad["status"] == "errored" and bad["epochs"] == 0
    folder = faulty_run / bad["folder"]
    assert "InjectedFault: fail_always" in (folder / "error.txt").read_text()
    assert attempts(folder) == 3  # FailureConfig(max_failures=2): tried three times, then given up
    table = (faulty_run / "table.md").read_text()
    assert "| lr=0.3 |" in table and "| 0/0/1/0 |" in table.split("| lr=0.3 |")[1].splitlines()[0]
    assert "| 1/0/0/0 |" in table.split("| lr=0.03 |")[1].splitlines()[0]


def test_resume_with_another_search_space_is_refused_and_nothing_changes(faulty_run, capsys):
    from studies.lr_sweep import STUDY
    from studies.runner import main
    files = {p: p.read_bytes() for p in faulty_run.rglob("*") if p.is_file()}
    with pytest.raises(SystemExit) as exit_:
        main(STUDY, ["--profile", "smoke", "--storage-path", str(faulty_run.parent), "--scheduler", "fifo",
                     "--set", "fail_at_epoch=1", "--set", "fail_always=lr=0.3", "--set", "epochs=3", "--resume"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(lines) == 1, lines
    assert "was run with another search space (differs in: fixed epochs)" in lines[0]
    assert {p: p.read_bytes() for p in faulty_run.rglob("*") if p.is_file()} == files


# ---------------------------------------------------------------- a non-finite loss

def test_a_non_finite_loss_stops_the_trial_as_diverged_not_retried(ray_local, tmp_path):
    out = run_study("regularization", tmp_path, "--scheduler", "fifo", "--set", "lr=1e6",
                    "--set", "optimizer=sgd", "--set", "max_train=128", "--set", "max_val=64")
    trials = pd.read_parquet(out / "trials.parquet")
    diverged = trials[trials["status"] == "diverged"]
    assert len(diverged) >= 3, trials[["arm", "status", "final_train_loss"]]
    for _, t in diverged.iterrows():
        folder = out / t["folder"]
        last = result_rows(folder)[-1]
        assert last["diverged"] and t["epochs"] == 1  # stopped at once, not trained to the budget
        assert not (math.isfinite(last["train_loss"]) and math.isfinite(last["val_loss"]))
        assert not list(folder.glob("error*")) and attempts(folder) == 1  # not an error: no retry
    assert set(trials["status"]) <= {"diverged", "completed"}  # the rest ran to the end
    counts = arm_rows(out)["trials"]  # table.csv: trials per arm
    table = (out / "table.md").read_text()
    for arm in diverged["arm"]:
        assert counts[arm] == 1
        assert sum("| 0/0/0/1 |" in line for line in table.splitlines()) == len(diverged)


# ---------------------------------------------------------------- the driver killed

def _driver(storage: Path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "studies" / "lr_sweep.py"), "--profile", "smoke",
            "--storage-path", str(storage), "--scheduler", "fifo", "--max-concurrent", "1",
            "--address", "local", "--set", "epochs=10",
            # all 4,000 digits: ~0.5 s an epoch even on an idle machine, so a trial is still
            # mid-way when the test kills the driver
            "--set", "max_train=0",
            # a checkpoint every epoch: this test is about resuming from the last one (the default
            # policy, rung / last epoch / 60 s, trades redone epochs for fewer checkpoints)
            "--set", "checkpoint_every=1", *extra]


EPOCHS = 10


def test_a_killed_driver_resumes_without_rerunning_completed_trials(tmp_path):
    # Tune saves its experiment state every TUNE_GLOBAL_CHECKPOINT_S (default: adaptive, >= 10 s);
    # 1 s keeps the test short: what a kill loses is at most that much of a running trial.
    env = {**os.environ, "RAY_ADDRESS": "", "TUNE_GLOBAL_CHECKPOINT_S": "1"}
    exp = tmp_path / "lr_sweep"
    log = open(tmp_path / "driver.log", "w")
    start = time.monotonic()
    driver = subprocess.Popen(_driver(tmp_path), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    first_done_at = None
    try:
        while True:  # wait: one trial completed (>= 2 s ago) and the next one mid-way
            assert driver.poll() is None, (tmp_path / "driver.log").read_text()[-3000:]
            assert time.monotonic() - start < 240, "the study did not get going"
            rows = {f.name: result_rows(f) for f in exp.glob("lr=*")} if exp.exists() else {}
            done = [n for n, r in rows.items() if r and r[-1]["epoch"] == EPOCHS]
            if done and first_done_at is None:
                first_done_at = time.monotonic()
            running = [n for n, r in rows.items() if n not in done and len(r) >= 2]
            if done and running and time.monotonic() - first_done_at >= 2:
                break
            time.sleep(0.2)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)  # the driver and everything it started
        driver.wait()
        log.close()
    killed_at = time.monotonic()
    before = {n: result_rows(exp / n) for n in rows}
    completed, interrupted = done[0], running[0]
    assert before[interrupted][-1]["epoch"] < EPOCHS, "the trial finished before the kill"

    t0 = time.monotonic()
    resumed = subprocess.run(_driver(tmp_path, "--resume"), cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=300)
    resume_s = time.monotonic() - t0
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    after = {n: result_rows(exp / n) for n in before}
    assert after[completed] == before[completed]  # the completed trial did not run again
    new = after[interrupted][len(before[interrupted]):]
    restored_from = new[0]["epoch"] - 1
    assert new[0]["iterations_since_restore"] == 1 and restored_from >= 1  # from a checkpoint
    assert [r["epoch"] for r in new] == list(range(restored_from + 1, EPOCHS + 1))
    rerun = before[interrupted][-1]["epoch"] - restored_from
    assert 0 <= rerun <= 2, rerun

    history = pd.read_parquet(exp / "history.parquet")
    trials = pd.read_parquet(exp / "trials.parquet")
    assert not history.duplicated(["trial_id", "epoch"]).any()
    assert history.groupby("trial_id")["epoch"].apply(sorted).apply(lambda e: e == list(range(1, EPOCHS + 1))).all()
    assert (trials["status"] == "completed").all() and len(trials) == 2
    print(f"\nkilled after {killed_at - start:.1f} s with {completed} completed and {interrupted} at "
          f"epoch {before[interrupted][-1]['epoch']}/{EPOCHS}; resume took {resume_s:.1f} s; it restored "
          f"epoch {restored_from}'s checkpoint, re-ran {rerun} epoch(s), and 0 of the completed trial")


# ---------------------------------------------------------------- bad input, every study

SCRIPTS = registry.STUDIES
BAD = [(["--set", "nope=1"], "--set nope: unknown key"), (["--seeds", "0"], "--seeds: must be > 0")]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
@pytest.mark.parametrize("script", SCRIPTS)
def test_bad_input_to_every_study_is_one_clear_line(script, args, message, tmp_path, capsys):
    """In-process through the script's own entry point (tests/test_cli.py runs one as a process)."""
    from studies.runner import main
    study = importlib.import_module(f"studies.{script}").STUDY
    with pytest.raises(SystemExit) as exit_:
        main(study, ["--profile", "smoke", "--storage-path", str(tmp_path), *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(lines) == 1 and message in lines[0], lines
    assert not any(tmp_path.iterdir())  # nothing written


def test_a_storage_path_that_cannot_be_written(tmp_path, capsys):
    from studies.lr_sweep import STUDY
    from studies.runner import main
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as exit_:
        main(STUDY, ["--profile", "smoke", "--storage-path", str(blocker / "results")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(lines) == 1 and "cannot be written" in lines[0], lines
    assert blocker.read_text() == "not a folder"


TOO_BIG = [(["--gpus-per-trial", "1"], "--gpus-per-trial 1: no node of this Ray cluster offers more than 0 GPU"),
           (["--cpus-per-trial", "64"], "--cpus-per-trial 64: no node of this Ray cluster offers more than 2 CPU")]


@pytest.mark.parametrize("args,message", TOO_BIG, ids=[" ".join(a) for a, _ in TOO_BIG])
def test_a_trial_larger_than_every_node_is_refused_not_left_waiting(ray_local, tmp_path, capsys, args, message):
    from studies.lr_sweep import STUDY
    from studies.runner import main
    with pytest.raises(SystemExit) as exit_:
        main(STUDY, ["--profile", "smoke", "--storage-path", str(tmp_path), *args])
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(lines) == 1 and message in lines[0], lines
    assert not any(tmp_path.iterdir())
