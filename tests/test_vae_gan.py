"""Table 6 through real Ray Tune in the smoke profile, and the VAE/GAN code without Ray."""
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import arm_rows, check_findings
from trainables.data.cache import DataError
from trainables.generative import VAE, load_generative_data, train_vae_gan, vae_loss
from trainables.session import LocalSession, load_state

SMALL = {"max_train": 200, "max_val": 100, "n_samples": 100, "is_splits": 5, "width": 4,
         "classifier_epochs": 2, "epochs": 2}


@pytest.fixture(scope="module")
def vae_gan_run(smoke_run) -> Path:
    return smoke_run("vae_gan")


def test_the_gan_has_no_reconstruction_and_scores_come_from_the_recorded_classifier(vae_gan_run):
    csv = arm_rows(vae_gan_run)
    assert csv.loc["vae_no_kl", "final_recon_mse_n"] == 1 and csv.loc["gan", "final_recon_mse_n"] == 0
    assert (csv["final_is_mean_n"] == 1).all()
    assert ((csv["final_is_mean_mean"] >= 1.0) & (csv["final_is_mean_mean"] <= 10.0)).all()
    trials = pd.read_parquet(vae_gan_run / "trials.parquet")
    history = pd.read_parquet(vae_gan_run / "history.parquet")
    gan = history[history["arm"] == "gan"]
    assert gan["recon_mse"].isna().all() and gan["d_loss"].notna().all()
    manifest = json.loads((vae_gan_run / "manifest.json").read_text())
    assert 0.5 < manifest["data"]["classifier_test_acc"] <= 1.0
    assert len(manifest["data"]["classifier_sha256_16"]) == 16
    assert (trials["final_classifier_acc"] == manifest["data"]["classifier_test_acc"]).all()
    found = check_findings(vae_gan_run, seeds=1)
    assert len(found) == 4 and {f.verdict for f in found.values()} == {"inconclusive"}  # one seed
    for name in ("samples_per_arm.png", "vae_reconstructions.png", "sample_quality_per_epoch.png"):
        assert (vae_gan_run / "figures" / name).stat().st_size > 5_000


def test_a_restored_trial_resumes_from_its_checkpoint(vae_gan_run, tmp_path):
    trial = next(p for p in vae_gan_run.glob("vae_kl_*seed0_*") if (p / "checkpoint_000001").exists())
    config = load_state(trial / "checkpoint_000000")["config"]
    ckpt = tmp_path / "ckpt"
    shutil.copytree(trial / "checkpoint_000000", ckpt)
    resumed = train_vae_gan(config, LocalSession(ckpt, threads=1))
    unbroken = train_vae_gan(config, LocalSession(threads=1))
    assert [h["epoch"] for h in resumed.history] == [2]
    for key in ("recon_mse", "is_mean", "train_loss"):
        assert resumed.history[0][key] == pytest.approx(unbroken.history[-1][key], rel=1e-4)
    assert load_state(ckpt)["samples"].shape == (64, 1, 28, 28)


def test_the_verdicts_score_is_of_samples_no_choice_has_seen():
    """The rate is chosen on the IS of one fixed noise draw; the IS a verdict rests on is of a second
    draw, scored once after the last epoch: other samples, so another number, on the same scale."""
    h = train_vae_gan({**SMALL, "model": "vae", "kl_weight": 1.0, "base_lr": 1e-3, "lr_scale": 3.0},
                      LocalSession(threads=2)).history
    assert "heldout_is_mean" not in h[0] and {"heldout_is_mean", "heldout_frechet"} <= set(h[-1])
    assert h[-1]["heldout_is_mean"] != h[-1]["is_mean"] and 1.0 <= h[-1]["heldout_is_mean"] <= 10.0


def test_kl_term_and_its_absence():
    vae = VAE(latent=4, width=4)
    x = torch.rand(8, 1, 28, 28)
    logits, mu, logvar = vae(x)
    assert logits.shape == x.shape and mu.shape == (8, 4)
    with_kl, recon, kl = (v.item() for v in vae_loss(logits, x, mu, logvar, 1.0))
    without, recon0, _ = (v.item() for v in vae_loss(logits, x, mu, logvar, 0.0))
    assert kl > 0 and with_kl == pytest.approx(recon + kl) and without == pytest.approx(recon0) == recon
    # KL of the prior itself is zero
    zero = torch.zeros(3, 4)
    assert vae_loss(torch.zeros(3, 1, 28, 28), torch.rand(3, 1, 28, 28), zero, zero, 1.0)[2].item() == pytest.approx(0.0)


def test_a_diverged_gan_is_reported_and_stopped_not_raised():
    data = load_generative_data(SMALL)
    # a learning rate no GAN survives: non-finite losses or a collapsed discriminator
    history = train_vae_gan({**SMALL, "model": "gan", "base_lr": 50.0, "epochs": 4},
                            LocalSession(threads=1), data).history
    assert history[-1]["diverged"] and history[-1]["diverged_reason"] and len(history) < 4
    # a discriminator whose loss falls below the bound counts as collapsed
    history = train_vae_gan({**SMALL, "model": "gan", "collapse_d_loss": 100.0, "epochs": 3},
                            LocalSession(threads=1), data).history
    assert len(history) == 1 and history[0]["diverged_reason"] == "discriminator collapse"
    healthy = train_vae_gan({**SMALL, "model": "gan", "base_lr": 2e-4}, LocalSession(threads=1), data).history
    assert not any(h["diverged"] for h in healthy) and len(healthy) == 2


def _idx(path: Path, array: np.ndarray) -> None:
    """An MNIST idx file: magic (0, 0, dtype 0x08, ndim), big-endian sizes, then the bytes."""
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_full_mnist_loader_reads_real_idx_files(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    raw = tmp_path / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 60), ("t10k", 20)):
        y = np.arange(n) % 10
        x = rng.integers(0, 50, (n, 28, 28))
        for label in range(10):  # a bright bar whose position is the class
            x[y == label, 2 * label + 4, :] = 255
        _idx(raw / f"{split}-images-idx3-ubyte", x)
        _idx(raw / f"{split}-labels-idx1-ubyte", y)
    data = load_generative_data({"dataset": "mnist", "data_root": str(tmp_path / "mnist"), "download": False,
                                 "classifier_epochs": 1})
    a = data.arrays
    assert a["x_train"].shape == (60, 1, 28, 28) and a["x_val"].shape == (20, 1, 28, 28)
    assert a["x_train"].dtype == np.uint8 and list(a["y_val"][:3]) == [0, 1, 2]
    assert data.stand_in_for == "" and "clf/head.weight" in a
    with pytest.raises(DataError, match="embedded"):
        load_generative_data({"dataset": "mnist", "data_root": str(tmp_path / "empty"), "download": False})
