"""The loop's `lr_schedule=cosine`: every tracked optimizer's rate follows the cosine curve over
`epochs`, and a trial resumed from a checkpoint continues the same curve (same rate, same result)."""
from __future__ import annotations

import math
import shutil

import pytest
import torch

from trainables.cnn import train_cnn
from trainables.loop import ConfigError, InjectedFault, Run
from trainables.session import LocalSession, load_state

CONFIG = {"dataset": "digits", "max_train": 128, "max_val": 64, "epochs": 4, "width": 4,
          "lr": 1e-2, "lr_schedule": "cosine", "seed": 3}


def test_the_rate_follows_the_cosine_curve_and_is_kept_by_each_checkpoint(tmp_path):
    train_cnn({**CONFIG, "epochs": 3}, LocalSession(tmp_path, threads=1))
    state = load_state(tmp_path)
    lr = state["objects"]["optimizer"]["param_groups"][0]["lr"]
    # after epoch 3 of 3 the rate is at the curve's end, 0; after the third step of T_max=3
    assert lr == pytest.approx(0.0, abs=1e-12)
    assert state["objects"]["optimizer_lr_schedule"]["last_epoch"] == 3


def test_a_resumed_trial_continues_the_same_curve(tmp_path):
    first = tmp_path / "first"
    unbroken = train_cnn(CONFIG, LocalSession(threads=1))
    with pytest.raises(InjectedFault):  # stops right after epoch 2's checkpoint
        train_cnn({**CONFIG, "fail_at_epoch": 2}, LocalSession(first, threads=1))
    state = load_state(first)
    assert state["epoch"] == 2
    half = 1e-2 * (1 + math.cos(math.pi * 2 / 4)) / 2
    assert state["objects"]["optimizer"]["param_groups"][0]["lr"] == pytest.approx(half)
    ckpt = tmp_path / "ckpt"
    shutil.copytree(first, ckpt)
    cfg = {**load_state(ckpt)["config"], "fail_at_epoch": 0}
    resumed = train_cnn(cfg, LocalSession(ckpt, threads=1))
    assert [h["epoch"] for h in resumed.history] == [3, 4]
    assert resumed.history[-1]["val_acc"] == pytest.approx(unbroken.history[-1]["val_acc"])
    assert resumed.history[-1]["train_loss"] == pytest.approx(unbroken.history[-1]["train_loss"], rel=1e-5)


def test_constant_is_the_default_and_an_unknown_schedule_is_refused():
    run = Run({"epochs": 1}, LocalSession(), data=object(), defaults={"epochs": 1}, load=None)
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    run.track(optimizer=opt)
    assert run.schedules == []
    with pytest.raises(ConfigError, match="lr_schedule='step'"):
        Run({"epochs": 1, "lr_schedule": "step"}, LocalSession(), data=object(), defaults={"epochs": 1}, load=None)
