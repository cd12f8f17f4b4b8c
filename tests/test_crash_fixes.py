"""Inputs that used to crash a study now give one line or a correct result (issue 16, part 1):
epochs below ASHA's first rung, a subsample smaller than the classes, a study whose every trial
errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_script, run_study
from trainables.data import DataError, subsample

# ---------------------------------------------------------------- epochs below the first rung

def test_epochs_below_the_first_rung_lower_it_and_say_so(capsys):
    from studies.runner import build_space, parse_args, scheduler
    from studies.window_size import STUDY
    full = build_space(STUDY, parse_args(STUDY, ["--profile", "full"]))
    assert full.grace_epochs == 50 and capsys.readouterr().err == ""
    space = build_space(STUDY, parse_args(STUDY, ["--profile", "full", "--set", "epochs=3"]))
    assert (space.max_epochs, space.grace_epochs) == (3, 3)
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "epochs=3" in line and "first rung" in line and "50" in line
    scheduler(space, "asha")  # the per-arm scheduler takes its one rung within the budget
    # at or above the rung nothing changes
    assert build_space(STUDY, parse_args(STUDY, ["--profile", "full", "--set", "epochs=60"])).grace_epochs == 50


def test_zero_epochs_is_refused_before_anything_is_written(tmp_path):
    done = run_script("window_size", "--profile", "smoke", "--set", "epochs=0", "--storage-path", str(tmp_path))
    assert done.returncode == 2 and done.stderr.strip().splitlines()[-1].endswith(
        "--set epochs=0: must be at least 1, got 0"), done.stderr[-2000:]
    assert not any(tmp_path.iterdir())


def test_a_study_with_fewer_epochs_than_its_first_rung_runs_through_asha(ray_local, tmp_path, capsys):
    # window_size's smoke rung is 2 epochs: 1 epoch used to end in "grace_period must be <= max_t"
    out = run_study("window_size", tmp_path, "--set", "epochs=1")
    assert "first rung is lowered to epoch 1" in capsys.readouterr().err
    trials = pd.read_parquet(out / "trials.parquet")
    assert (trials["status"] == "completed").all() and (trials["epochs"] == 1).all()
    assert (out / "table.md").exists()


# ---------------------------------------------------------------- subsampling

def test_a_subsample_keeps_every_class_in_proportion():
    y = np.repeat(np.arange(200), 50)  # Tiny-ImageNet's 200 classes x 50 test images
    x = np.arange(len(y))
    for n in (200, 201, 333, 1000, 9999):
        xs, ys = subsample(x, y, n)
        counts = np.bincount(ys, minlength=200)
        assert len(ys) == n and counts.min() >= 1 and counts.max() - counts.min() <= 1, n
        assert len(set(xs)) == n and (y[xs] == ys).all()  # distinct examples, labels kept
    skewed = np.array([0] * 900 + [1] * 90 + [2] * 10)
    assert np.bincount(subsample(skewed, skewed, 20)[1]).tolist() == [16, 3, 1]
    assert subsample(x, y, 0)[0] is x and subsample(x, y, len(y) + 1)[0] is x  # 0 / too many: all


def test_a_subsample_smaller_than_the_classes_is_refused_in_one_line():
    y = np.repeat(np.arange(200), 50)
    with pytest.raises(DataError) as err:
        subsample(y, y, 100)
    assert "\n" not in str(err.value) and "200 classes" in str(err.value) and "at least 200" in str(err.value)


# ---------------------------------------------------------------- every trial errored

def test_a_study_whose_every_trial_errors_writes_its_table_and_findings_saying_so(ray_local, tmp_path):
    out = run_study("lr_sweep", tmp_path, "--scheduler", "fifo", "--set", "fail_always=lr=0.03,lr=0.3")
    trials = pd.read_parquet(out / "trials.parquet")
    assert (trials["status"] == "errored").all() and len(trials) == 2
    assert sorted(trials["error"]) == [f"trainables.loop.InjectedFault: fail_always: arm lr={r} fails at "
                                       f"every attempt" for r in ("0.03", "0.3")]
    assert pd.read_parquet(out / "history.parquet").empty
    for name in ("table.md", "findings.md"):
        title, blank, note = (out / name).read_text().split("\n")[:3]
        text = (out / name).read_text()
        assert title.startswith("# ") and not blank and note.startswith("**Every trial errored (2 of 2)"), text[:300]
        assert "fail_always: arm lr=0.3 fails at every attempt" in text
