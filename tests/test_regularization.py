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
from tests.conftest import check_findings
from trainables.cnn import CNN, DEFAULTS, train_cnn, zero_init_
from trainables.data.digits import load_digits
from trainables.session import LocalSession, load_state


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
    found = check_findings(regularization_run, seeds=1)
    zero = found["Zero initialisation stays at chance (10%)"]
    assert zero.effect > 0 and zero.verdict == "not settled"  # a check: below the bound, but one seed
    # 11 findings and 2 checks (zero init; "test better than training" on the running train accuracy);
    # smoke runs no constant-rate arms, so BN + Dropout's two curve claims are listed as not run
    assert zero.kind == "check" and len(found) == 13
    assert (regularization_run / "findings.md").read_text().split("## Untestable here")[1].count("not run in this profile") == 2
    manifest = json.loads((regularization_run / "manifest.json").read_text())
    assert manifest["profile"] == "smoke" and manifest["seeds"] == [0] and manifest["git_commit"]
    assert manifest["data"]["stand_in_for"] == "CIFAR-10" and len(manifest["data"]["sha256_16"]) == 16

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
    trial = next(p for p in regularization_run.glob("baseline_*seed0_*") if (p / "checkpoint_000001").exists())
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


def test_a_grid_whose_every_rate_ties_is_no_edge_winner():
    """Zero init scores 10% at every rate: the tie-break (the smallest rate) picks its setting, which
    is then no evidence that a better rate lies beyond the grid. A real edge winner stays flagged."""
    from analysis import flags
    from tests.test_baselines_in_tables import GRID, arms, run
    curves = arms(lr_a=0.01)  # a: wins at the upper edge
    for seed in range(3):
        for lr in GRID:
            curves[("b", seed, lr)] = [0.1] * 6  # b: the same at every rate (chosen: 0.001, the lower edge)
    s, m = run(curves, baseline=None)
    assert set(s.chosen.loc[s.chosen["arm"] == "b", "config/lr"]) == {0.001}
    assert set(flags.grid_edges(s, m)) == {"a"}
    # ...but it is flagged as tied: a finding resting on it is inconclusive (the arm is in effect untuned)
    assert set(flags.tied_choices(s)) == {"b"} and "(3/3 seeds)" in flags.tied_choices(s)["b"]
    assert any("tied at selection" in f for f in flags.arm_flags(s, m)["b"]) and not flags.arm_flags(s, m)["a"][1:]
    curves[("b", 0, 0.003)] = [0.1, 0.09, 0.1, 0.1, 0.1, 0.1]  # apart after the selection epoch only:
    s, m = run(curves, baseline=None)                           # still a tie where the choice is made
    assert "b" not in flags.grid_edges(s, m)
    curves[("b", 0, 0.003)] = [0.09, 0.1, 0.1, 0.1, 0.1, 0.1]  # seed 0: 0.003 loses at epoch 1, so the
    s, m = run(curves, baseline=None)                           # metric took part in its choice
    assert "b" in flags.grid_edges(s, m) and "(1/1 seeds)" in flags.grid_edges(s, m)["b"]
    assert "(2/3 seeds)" in flags.tied_choices(s)["b"]  # the other two seeds still tie


def test_a_model_fitted_once_has_no_rate_to_tune_and_is_not_flagged_for_it():
    """PCA reports once, at the budget, the same at every grid value: no grid-edge winner, and no
    'tied at selection' flag either (there was no rate to choose, so nothing is untuned)."""
    from analysis import flags
    from tests.test_baselines_in_tables import GRID, arms, run
    curves = arms()
    for seed in range(3):
        for lr in GRID:
            curves[("b", seed, lr)] = [float("nan")] * 5 + [0.5]  # b: one report, after the selection epoch
    s, m = run(curves, baseline=None)
    assert "b" not in flags.grid_edges(s, m) and "b" not in flags.tied_choices(s)
