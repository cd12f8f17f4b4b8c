"""Table 5 (a denoising autoencoder per loss) through real Ray Tune in the smoke profile, and
the denoising set-up without Ray."""
import pandas as pd
import pytest
import torch

from search_spaces.denoising_loss import ARMS
from tests.conftest import arm_rows, check_findings
from trainables.autoencoders import LOSSES, ConvDenoiser, add_noise, train_autoencoder
from trainables.data.digits import load_digits32
from trainables.session import LocalSession, load_state


@pytest.fixture(scope="module")
def denoising_run(smoke_run):
    return smoke_run("denoising_loss")


def test_every_loss_trains_one_noisy_denoiser_with_scores_in_range(denoising_run):
    csv = arm_rows(denoising_run)
    assert (csv["final_test_mse_n"] == 1).all() and (csv["final_ssim_test_n"] == 1).all()
    assert csv["final_test_mse_mean"].between(0, 0.3).all()
    assert csv["final_ssim_test_mean"].between(-1, 1).all()
    trials = pd.read_parquet(denoising_run / "trials.parquet")
    assert set(trials["config/loss"]) == set(ARMS) and (trials["config/noise"] == 0.5).all()
    found = check_findings(denoising_run, seeds=1)
    assert len(found) == 4 and {f.verdict for f in found.values()} == {"inconclusive"}  # one seed


def test_noisy_denoised_clean_figure_for_every_loss(denoising_run):
    for loss in ARMS:
        assert (denoising_run / "figures" / f"denoising_{loss}.png").stat().st_size > 5_000
    state = load_state(sorted(denoising_run.glob("mse_*seed0_*/checkpoint_*"))[-1])
    smp = state["samples"]
    assert smp["input"].shape == smp["output"].shape == smp["target"].shape == (10, 1, 32, 32)
    assert (smp["input"] != smp["target"]).mean() > 0.5  # the input is noisy, the target clean
    assert smp["target"].min() >= 0 and smp["input"].max() <= 1


# ---------------------------------------------------------------- without Ray

def test_noise_is_clipped_and_level_zero_is_none():
    x = torch.rand(4, 1, 32, 32)
    assert torch.equal(add_noise(x, 0.0, None), x)
    g = torch.Generator().manual_seed(0)
    y = add_noise(x.clone(), 0.5, g)
    assert y.min() >= 0 and y.max() <= 1 and (y - x).abs().mean() > 0.1


def test_every_loss_trains_the_denoiser():
    data = load_digits32({"dataset": "digits", "max_train": 200, "max_val": 100})
    assert set(LOSSES) == set(ARMS)
    assert ConvDenoiser(4)(torch.rand(2, 1, 32, 32)).shape == (2, 1, 32, 32)
    for loss in LOSSES:
        h = train_autoencoder({"model": "denoiser", "loss": loss, "noise": 0.5, "width": 4, "epochs": 2,
                               "lr": 3e-3, "batch_size": 32}, LocalSession(threads=1), data).history
        assert h[-1]["train_loss"] < h[0]["train_loss"] * 1.05, loss
        assert h[-1]["done_training"] and not h[-1]["diverged"]
        assert "val_code_acc" not in h[-1]  # no code to classify
