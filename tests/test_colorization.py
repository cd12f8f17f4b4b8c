"""Figure 24 through real Ray Tune in the smoke profile, and the colourisation code without Ray."""
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import arm_rows, check_findings
from trainables.colorization import PatchGAN, UNet, chroma, to_lab, to_rgb, train_colorization
from trainables.data.photos import (
    BAND,
    PHOTO_NAMES,
    crops,
    load_colorization_data,
    load_photo_crops,
    photo,
    split_bands,
)
from trainables.session import LocalSession


@pytest.fixture(scope="module")
def colorization_run(smoke_run) -> Path:
    return smoke_run("colorization")


def test_errors_are_fractions_and_both_arms_see_the_same_true_colours(colorization_run):
    csv = arm_rows(colorization_run)
    assert ((csv["final_test_mae_mean"] > 0) & (csv["final_test_mae_mean"] < 1)).all()
    # the ground truth's chroma is the same test set for both arms
    assert csv["final_chroma_truth_mean"].nunique() == 1 and csv["final_chroma_truth_mean"].iloc[0] > 5
    found = check_findings(colorization_run, seeds=1)
    assert [f.verdict for f in found.values()] == ["inconclusive"] * 3  # 1 seed: no interval; edges unmeasured
    assert (colorization_run / "figures" / "colourisation_grid.png").stat().st_size > 10_000


def test_only_the_cgan_has_a_discriminator(colorization_run):
    history = pd.read_parquet(colorization_run / "history.parquet")
    cgan = history[history["arm"] == "cgan"]
    assert cgan["d_loss"].notna().all() and history.loc[history["arm"] == "unet", "d_loss"].isna().all()
    manifest = json.loads((colorization_run / "manifest.json").read_text())
    assert manifest["data"]["stand_in_for"] == "CIFAR-10" and manifest["metric"] == "val_mae"  # chosen on validation


def test_lab_round_trip_and_chroma():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (4, 3, 8, 8)).astype(np.uint8)
    grey, ab = to_lab(x)
    assert grey.shape == (4, 1, 8, 8) and ab.shape == (4, 2, 8, 8)
    assert grey.min() >= -1 and grey.max() <= 1 and ab.abs().max() <= 1.2
    back = to_rgb(grey, ab)
    assert np.abs(back * 255 - x.transpose(0, 2, 3, 1)).max() < 1.0
    grey_only = np.repeat(rng.integers(0, 256, (2, 1, 8, 8)), 3, 1).astype(np.uint8)
    assert chroma(to_lab(grey_only)[1]) < 0.01  # grey has no chroma


def test_models_shapes():
    g = torch.rand(2, 1, 32, 32) * 2 - 1
    ab = UNet(4)(g)
    assert ab.shape == (2, 2, 32, 32) and ab.abs().max() <= 1
    assert PatchGAN(4)(g, ab).shape == (2, 1, 8, 8)


def test_photo_splits_are_disjoint_bands_of_every_photograph():
    c = crops(photo("chelsea"), 64, 32, 16)
    assert c.shape[1:] == (3, 32, 32) and c.dtype == np.uint8 and len(c) == 3 * 5  # 64x96 image
    image = np.arange(64 * 160 * 3).reshape(64, 160, 3)
    bands = split_bands(image)
    assert [b.shape[1] for b in bands.values()] == [BAND, 160 - 2 * BAND, BAND]
    assert np.array_equal(np.concatenate([bands["x_val"], bands["x_train"], bands["x_test"]], 1), image)
    d = load_photo_crops(max_train=50, max_val=20)
    assert {k: v.shape for k, v in d.arrays.items()} == {
        "x_train": (50, 3, 32, 32), "x_val": (20, 3, 32, 32), "x_test": (20, 3, 32, 32)}
    assert d.stand_in_for == "CIFAR-10" and all(n in d.name for n in PHOTO_NAMES)
    full = load_photo_crops().arrays
    seen = {k: {a.tobytes() for a in v} for k, v in full.items()}
    assert not (seen["x_train"] & seen["x_val"]) and not (seen["x_train"] & seen["x_test"])
    assert not (seen["x_val"] & seen["x_test"])
    # every photograph is in every split: 8 photos x 13 crops (a 32-px band, 128 px tall, stride 8)
    assert len(full["x_val"]) == len(full["x_test"]) == len(PHOTO_NAMES) * 13


def test_the_rate_is_chosen_on_validation_and_the_test_split_is_read_once():
    data = load_photo_crops(max_train=40, max_val=8)
    h = train_colorization({"model": "unet", "width": 2, "epochs": 2, "batch_size": 16},
                           LocalSession(threads=1), data).history
    assert all("val_mae" in r for r in h) and "test_mae" not in h[0]   # epoch 1: validation only
    last = h[-1]
    assert 0 < last["test_mae"] < 1 and last["chroma_error"] >= 0 and last["ab_distance"] >= 0
    assert last["chroma_truth"] > 0


def test_cifar10_loader_reads_real_batches_and_a_diverged_trial_stops(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (4, 3072)).astype(np.uint8), b"labels": list(range(4))}
        (folder / name).write_bytes(pickle.dumps(batch))
    data = load_colorization_data({"dataset": "cifar10", "data_root": str(tmp_path)})
    # the test batch is the test split; validation = the last 10% of the training batches
    assert data.arrays["x_test"].shape == (4, 3, 32, 32)
    assert data.arrays["x_train"].shape == (18, 3, 32, 32) and data.arrays["x_val"].shape == (2, 3, 32, 32)
    history = train_colorization({"model": "cgan", "width": 2, "epochs": 3, "lr": 1e30, "batch_size": 4},
                                 LocalSession(threads=1), data).history
    healthy = train_colorization({"model": "cgan", "width": 2, "epochs": 2, "batch_size": 4},
                                 LocalSession(threads=1), data).history
    assert [h["epoch"] for h in healthy] == [1, 2] and not healthy[-1]["diverged"]
    assert history[-1]["diverged"] and len(history) < 3
