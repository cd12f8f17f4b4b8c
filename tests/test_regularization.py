"""The platform through its first study: the regularization study (Table 1) in the smoke
profile, run by real Ray Tune on a local Ray, and everything it leaves behind."""
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import torch

from search_spaces.regularization import ARMS
from trainables.cnn import DEFAULTS, CNN, train_cnn, zero_init_
from trainables.data.digits import load_digits
from trainables.session import LocalSession, load_state

TRIAL_COLUMNS = {"trial_id", "arm", "seed", "status", "epochs", "stopped_early", "wall_s",
                 "config/lr", "best_val_acc", "final_val_acc", "final_train_loss"}
HISTORY_COLUMNS = {"trial_id", "arm", "seed", "epoch", "train_loss", "train_acc", "val_loss",
                   "val_acc", "epoch_s", "images_per_s"}


def test_every_arm_is_in_the_table_beside_the_report(regularization_run):
    table = (regularization_run / "table.md").read_text()
    for label in ("Baseline (no aug.)", "Moderate data augmentation", "Aggressive data augmentation",
                  "Dropout (0.3)", "BN", "BN + Dropout", "Zero initialisation"):
        assert f"| {label} |" in table
    assert "STAND-IN for the report's CIFAR-10" in table
    csv = pd.read_csv(regularization_run / "table.csv")
    assert sorted(csv["arm"]) == sorted(ARMS)
    assert csv.set_index("arm").loc["baseline", "best_val_acc_report"] == 75.0
    assert (csv["best_val_acc_n"] == 1).all()


def test_parquet_holds_every_trial_and_every_epoch(regularization_run):
    trials = pd.read_parquet(regularization_run / "trials.parquet")
    history = pd.read_parquet(regularization_run / "history.parquet")
    assert TRIAL_COLUMNS <= set(trials.columns)
    assert HISTORY_COLUMNS <= set(history.columns)
    assert len(trials) == len(ARMS) * 2  # 7 arms x 1 seed x 2 learning rates
    assert history.groupby("trial_id").size().sort_index().tolist() == \
        trials.set_index("trial_id")["epochs"].sort_index().tolist()
    assert not history.duplicated(["trial_id", "epoch"]).any()
    assert set(trials["status"]) <= {"completed", "stopped_early"}


def test_asha_prunes_inside_an_arm_but_every_arm_reaches_the_full_budget(regularization_run):
    trials = pd.read_parquet(regularization_run / "trials.parquet")
    assert trials["stopped_early"].any(), "ASHA stopped no trial"
    full = trials[trials["status"] == "completed"]
    assert set(full["arm"]) == set(ARMS)
    assert (full["epochs"] == 2).all()
    # a stopped trial lost to a trial of its own arm that was still running at that epoch
    for _, stopped in trials[trials["stopped_early"]].iterrows():
        assert ((full["arm"] == stopped["arm"]) & (full["seed"] == stopped["seed"])).any()


def test_findings_manifest_figures_and_tensorboard(regularization_run):
    findings = (regularization_run / "findings.md").read_text()
    assert "| Zero initialisation stays at chance (10%) | **reproduced** |" in findings
    for claim in ("Moderate augmentation beats the baseline", "Aggressive augmentation is below moderate",
                  "Dropout (0.3) helps over the baseline"):
        assert claim in findings
    manifest = json.loads((regularization_run / "manifest.json").read_text())
    assert manifest["profile"] == "smoke" and manifest["seeds"] == [0]
    assert manifest["data"]["stand_in_for"] == "CIFAR-10" and len(manifest["data"]["sha256_16"]) == 16
    assert {"torch", "ray"} <= set(manifest["packages"]) and manifest["git_commit"]
    assert (regularization_run / "figures" / "curves_per_arm.png").stat().st_size > 10_000

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    folders = [p.parent for p in regularization_run.glob("*/params.json")]
    assert len(folders) == len(ARMS) * 2
    for folder in folders:
        events = list(folder.glob("events.out.tfevents.*"))
        assert events, f"no TensorBoard events in {folder.name}"
        acc = EventAccumulator(str(folder)).Reload()
        assert "1_study/val_acc" in acc.Tags()["scalars"]  # studies/tb_logger.py: the study metric first
    # the arm and hyperparameters in TensorBoard's HParams view
    raw = b"".join(p.read_bytes() for f in folders for p in f.glob("events.out.tfevents.*"))
    assert b"hparams" in raw and b"arm" in raw and b"status" in raw  # studies/tb_logger.py hparams


def test_analysis_rebuilds_outputs_from_stored_results(regularization_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(regularization_run, copy)
    before = (copy / "table.md").read_text()
    for name in ("table.md", "table.csv", "findings.md"):
        (copy / name).unlink()
    shutil.rmtree(copy / "figures")
    done = subprocess.run([sys.executable, "-m", "analysis", str(copy)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (copy / "table.md").read_text() == before
    assert (copy / "findings.md").exists() and (copy / "figures" / "curves_per_arm.png").exists()


def test_a_restored_trial_resumes_from_its_checkpoint(regularization_run, tmp_path):
    """Epoch 1's checkpoint of a trial, resumed, reaches exactly the state of an unbroken run."""
    trial = next(p for p in regularization_run.glob("baseline_seed0_*") if (p / "checkpoint_000001").exists())
    config = load_state(trial / "checkpoint_000000")["config"]
    assert load_state(trial / "checkpoint_000000")["epoch"] == 1
    ckpt = tmp_path / "ckpt"
    shutil.copytree(trial / "checkpoint_000000", ckpt)
    resumed = train_cnn(config, LocalSession(ckpt, threads=1))
    unbroken = train_cnn(config, LocalSession(threads=1))
    assert [h["epoch"] for h in resumed.history] == [2]
    assert resumed.history[0]["val_acc"] == pytest.approx(unbroken.history[-1]["val_acc"])
    assert resumed.history[0]["train_loss"] == pytest.approx(unbroken.history[-1]["train_loss"], rel=1e-5)
    assert load_state(ckpt)["epoch"] == 2


def test_resume_of_a_finished_study_runs_nothing_again(regularization_run):
    from tests.conftest import run_study
    lines = {p: p.read_text().count("\n") for p in regularization_run.glob("*/result.json")}
    run_study("regularization", regularization_run.parent, "--resume")
    assert {p: p.read_text().count("\n") for p in regularization_run.glob("*/result.json")} == lines


def test_zero_init_gives_constant_outputs_and_no_learning():
    data = load_digits(200, 100)
    model = CNN(1, 28, 10)
    zero_init_(model)
    out = model(torch.rand(5, 1, 28, 28))
    assert torch.equal(out, torch.zeros_like(out))
    history = train_cnn({**DEFAULTS, "zero_init": True, "epochs": 2}, LocalSession(threads=1), data).history
    assert all(abs(h["val_acc"] - 0.1) < 0.03 for h in history)


def test_a_non_finite_loss_stops_the_trial_as_diverged():
    history = train_cnn({"lr": 1e6, "optimizer": "sgd", "momentum": 0.0, "epochs": 4,
                         "max_train": 300, "max_val": 100}, LocalSession(threads=1)).history
    assert history[-1]["diverged"] and len(history) < 4
