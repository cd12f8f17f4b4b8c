"""Checkpoints hold tensors and plain values only and are read with weights_only=True: a planted
checkpoint whose pickle would run code is refused in one line, and its code never runs."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import torch

from trainables.session import STATE_FILE, CheckpointError, LocalSession, load_state, save_state


class Planted:
    """Unpickling this runs a shell command (the classic pickle attack)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_state_round_trips_as_tensors_and_plain_values(tmp_path):
    state = {"objects": {"model": torch.nn.Linear(3, 2).state_dict()}, "epoch": 3, "keep": {"es": {"bad": 1}},
             "samples": {"input": np.arange(6, dtype=np.uint8).reshape(2, 3), "score": np.float64(0.5)},
             "rng": {"rng": np.random.default_rng(0).bit_generator.state}}
    save_state(state, tmp_path)
    torch.load(tmp_path / STATE_FILE, weights_only=True)  # readable by the restricted unpickler
    back = load_state(tmp_path)
    assert isinstance(back["samples"]["input"], np.ndarray) and back["samples"]["input"].dtype == np.uint8
    assert back["samples"]["input"].tolist() == [[0, 1, 2], [3, 4, 5]] and back["samples"]["score"] == 0.5
    assert back["rng"]["rng"] == state["rng"]["rng"] and back["keep"] == {"es": {"bad": 1}}
    assert torch.equal(back["objects"]["model"]["weight"], state["objects"]["model"]["weight"])


def test_a_planted_checkpoint_is_refused_in_one_line_and_runs_nothing(tmp_path):
    from trainables.cnn import train_cnn
    marker = tmp_path / "marker"
    planted = tmp_path / "planted"
    planted.mkdir()
    torch.save({"epoch": 1, "objects": Planted(marker)}, planted / STATE_FILE)
    # the file really is an attack: an unrestricted load runs its command
    probe = tmp_path / "probe"
    shutil.copytree(planted, probe)
    torch.load(probe / STATE_FILE, weights_only=False)
    assert marker.exists()
    marker.unlink()

    with pytest.raises(CheckpointError) as err:
        load_state(planted)
    assert "\n" not in str(err.value) and "refused" in str(err.value)
    with pytest.raises(CheckpointError):  # a trial resuming from it stops before any epoch
        train_cnn({"epochs": 1, "max_train": 20, "max_val": 10, "width": 2}, LocalSession(planted, threads=1))
    assert not marker.exists()


def test_a_training_checkpoint_loads_with_weights_only(tmp_path):
    from trainables.rl import train_rl
    train_rl({"agent": "dqn", "epochs": 1, "dqn_episodes_per_block": 2, "dqn_warmup": 8, "dqn_batch": 4,
              "dqn_hidden": 4}, LocalSession(tmp_path, threads=1))
    state = torch.load(tmp_path / STATE_FILE, weights_only=True)  # replay buffer and RNGs included
    assert isinstance(state["objects"]["buffer"]["s"], torch.Tensor) and state["epoch"] == 1
