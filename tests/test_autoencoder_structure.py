"""Table 4 (MLP / CNN autoencoders vs PCA) through real Ray Tune in the smoke profile, the
models without Ray, and the full-profile MNIST loader on miniature idx files."""
import struct

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn as nn

from search_spaces.autoencoder_structure import ARMS
from tests.conftest import arm_rows, check_findings
from trainables.autoencoders import CNNAutoencoder, MLPAutoencoder, train_autoencoder
from trainables.data.cache import DataError
from trainables.data.digits import load_digits32, load_mnist, pad32
from trainables.session import LocalSession, load_state


@pytest.fixture(scope="module")
def structure_run(smoke_run):
    return smoke_run("autoencoder_structure")


def test_only_pca_has_an_explained_variance_and_the_codes_are_scored(structure_run):
    csv = arm_rows(structure_run)
    assert csv["final_explained_variance_n"].to_dict() == {"mlp": 0, "cnn": 0, "pca": 1}
    assert 0.2 < csv.loc["pca", "final_explained_variance_mean"] < 1
    assert (csv["final_test_mse_n"] == 1).all() and (csv["final_test_code_acc_n"] == 1).all()


def test_pca_reports_once_at_the_full_budget_and_asha_prunes_the_others(structure_run):
    trials = pd.read_parquet(structure_run / "trials.parquet")
    history = pd.read_parquet(structure_run / "history.parquet")
    pca = trials[trials["arm"] == "pca"]
    assert (pca["status"] == "completed").all() and (pca["epochs"] == 2).all()
    assert history[history["arm"] == "pca"].groupby("trial_id").size().eq(1).all()
    full = trials[trials["status"] == "completed"]
    assert set(full["arm"]) == set(ARMS)
    assert trials["stopped_early"].any(), "ASHA stopped no poor learning rate"
    assert full["final_test_code_acc"].between(0, 1).all()
    assert (full["final_test_mse"] > 0).all() and (full.loc[full["arm"] == "pca", "final_test_mse"] < 0.05).all()


def test_findings_and_reconstruction_figure(structure_run):
    found = check_findings(structure_run, seeds=1)
    assert len(found) == 4 and all(f.n_seeds == 1 and f.effect is not None for f in found.values())
    assert (structure_run / "figures" / "reconstructions.png").stat().st_size > 5_000
    # the figure's digits come from the chosen trials' last checkpoints: the same ones per arm
    picked = []
    for folder in structure_run.glob("*/checkpoint_*/state.pt"):
        state = load_state(folder.parent)
        if "samples" in state:
            picked.append(tuple(state["samples"]["index"]))
    assert len(set(picked)) == 1 and len(picked[0]) == 10


# ---------------------------------------------------------------- models, without Ray

def test_mlp_autoencoder_layout():
    m = MLPAutoencoder(10, (512, 256, 128, 64), 0.2)
    enc = list(m.encoder)
    assert sum(isinstance(x, nn.Dropout) for x in m.modules()) == 1
    assert any(isinstance(x, nn.Dropout) for x in enc)
    linears = [x for x in enc if isinstance(x, nn.Linear)]
    assert [x.out_features for x in linears] == [512, 256, 128, 64, 10]
    # no BN after the first layer; BN before every other hidden activation
    assert isinstance(enc[2], nn.ReLU) and not isinstance(enc[2 - 1], nn.BatchNorm1d)
    for seq in (m.encoder, m.decoder):
        layers = list(seq)
        for i, x in enumerate(layers):
            if isinstance(x, nn.ReLU) and not (seq is m.encoder and i == 2):
                assert isinstance(layers[i - 1], nn.BatchNorm1d)
    m.eval()
    assert m(torch.rand(3, 1, 32, 32)).shape == (3, 1, 32, 32)
    assert m.encode(torch.rand(3, 1, 32, 32)).shape == (3, 10)


def test_cnn_autoencoder_layout():
    m = CNNAutoencoder(10, 16).eval()
    convs = [x for x in m.encoder if isinstance(x, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32, 64, 128]
    layers = list(m.encoder)
    for i, x in enumerate(layers):
        if isinstance(x, nn.ReLU):
            assert isinstance(layers[i - 1], nn.BatchNorm2d)
    assert m.expand[0].out_features == 4 * 4 * 128
    ups = [x for x in m.decoder if isinstance(x, nn.ConvTranspose2d)]
    assert len(ups) == 3 and all(u.stride == (2, 2) for u in ups)
    x = torch.rand(2, 1, 32, 32)
    assert m.encode(x).shape == (2, 10) and m(x).shape == (2, 1, 32, 32)
    assert 0 <= m(x).min() and m(x).max() <= 1


def test_pca_arm_reports_once_at_the_epoch_budget():
    from sklearn.decomposition import PCA
    data = load_digits32({"dataset": "digits", "max_train": 300, "max_val": 100})
    h = train_autoencoder({"model": "pca", "epochs": 7}, LocalSession(threads=1), data).history
    assert len(h) == 1 and h[0]["epoch"] == 7 and h[0]["done_training"]
    x = data.arrays["x_train"].reshape(300, -1) / 255.0
    ref = PCA(10).fit(x)
    assert h[0]["explained_variance"] == pytest.approx(ref.explained_variance_ratio_.sum(), rel=1e-3)
    assert 0 < h[0]["train_mse"] < h[0]["val_mse"] * 2 and 0.1 < h[0]["val_code_acc"] <= 1


def test_a_resumed_autoencoder_trial_matches_an_unbroken_one(tmp_path):
    data = load_digits32({"dataset": "digits", "max_train": 200, "max_val": 100})
    config = {"model": "mlp", "epochs": 2, "batch_size": 64, "lr": 3e-3}
    ckpt = tmp_path / "ckpt"
    first = LocalSession(ckpt, threads=1)
    train_autoencoder({**config, "epochs": 1}, first, data)
    resumed = train_autoencoder(config, LocalSession(ckpt, threads=1), data).history
    unbroken = train_autoencoder(config, LocalSession(threads=1), data).history
    assert [r["epoch"] for r in resumed] == [2]
    assert resumed[0]["val_mse"] == pytest.approx(unbroken[-1]["val_mse"], rel=1e-5)


# ---------------------------------------------------------------- full MNIST through torchvision

def _write_idx(path, array, magic):
    with open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape))
        f.write(array.astype(np.uint8).tobytes())


def _mini_mnist(root, n_train=30, n_test=20):
    """The four raw idx files, uncompressed, where torchvision.datasets.MNIST reads them."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    made = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = np.arange(n, dtype=np.uint8) % 10
        _write_idx(raw / f"{split}-images-idx3-ubyte", x, 0x00000803)
        _write_idx(raw / f"{split}-labels-idx1-ubyte", y, 0x00000801)
        made[split] = (x, y)
    return made


def test_full_mnist_loader_reads_real_idx_files(tmp_path):
    made = _mini_mnist(tmp_path)
    data = load_mnist(str(tmp_path), download=False)
    a = data.arrays
    assert a["x_train"].shape == (30, 1, 32, 32) and a["x_val"].shape == (20, 1, 32, 32)
    assert a["x_train"].dtype == np.uint8 and a["y_train"].dtype == np.int64
    np.testing.assert_array_equal(a["x_train"][:, 0, 2:30, 2:30], made["train"][0])
    np.testing.assert_array_equal(a["y_val"], made["t10k"][1])
    assert a["x_train"][:, :, :2].max() == 0 and a["x_train"][:, :, :, 30:].max() == 0
    assert data.info["stand_in_for"] == "" and "MNIST" in data.info["name"]
    via_config = load_digits32({"dataset": "mnist", "data_root": str(tmp_path), "max_train": 10})
    assert len(via_config.arrays["y_train"]) == 10


def test_missing_mnist_fails_with_one_line_naming_the_embedded_digits(tmp_path):
    with pytest.raises(DataError) as err:
        load_mnist(str(tmp_path / "nothing"), download=False)
    message = str(err.value)
    assert "\n" not in message and "--profile local" in message and "embedded" in message


def test_pad32_centres_the_digit():
    x = np.ones((2, 1, 28, 28), np.uint8)
    p = pad32(x)
    assert p.shape == (2, 1, 32, 32) and p.sum() == x.sum() and p[0, 0, 2, 2] == 1 and p[0, 0, 1, 1] == 0


def test_the_training_split_is_scored_at_the_last_epoch_only_and_val_loss_is_the_val_mse():
    data = load_digits32({"dataset": "digits", "max_train": 200, "max_val": 100})
    h = train_autoencoder({"model": "mlp", "epochs": 2, "batch_size": 64, "lr": 3e-3, "loss": "mse",
                           "code_classifier": False}, LocalSession(threads=1), data).history
    assert "train_mse" not in h[0] and "ssim_train" not in h[0]   # epoch 1: the held-out split only
    assert 0 < h[-1]["train_mse"] < 0.2 and -1 <= h[-1]["ssim_train"] <= 1
    # one validation pass gives both: the MSE loss on it is its MSE
    assert all(r["val_loss"] == pytest.approx(r["val_mse"], rel=1e-5) for r in h)


def test_val_share_holds_a_validation_split_out_of_training_and_the_test_is_read_once():
    """val_share carves validation from the training digits (what the rate's choice and ASHA read);
    the held-out split becomes the test, scored only after the last epoch (PCA: its one report)."""
    plain = load_digits32({"dataset": "digits", "max_train": 200, "max_val": 100})
    data = load_digits32({"dataset": "digits", "max_train": 200, "max_val": 100, "val_share": 0.1})
    a = data.arrays
    assert [len(a[k]) for k in ("y_train", "y_val", "y_test")] == [180, 20, 100]
    assert np.array_equal(a["x_test"], plain.arrays["x_val"])  # the test is the former held-out split
    assert np.array_equal(np.concatenate([a["x_train"], a["x_val"]]), plain.arrays["x_train"])
    h = train_autoencoder({"model": "cnn", "width": 4, "epochs": 2, "batch_size": 64, "val_share": 0.1},
                          LocalSession(threads=1), data).history
    assert ["test_mse" in r for r in h] == [False, True] and all("val_mse" in r for r in h)
    assert 0 < h[-1]["test_mse"] < 0.3 and 0 <= h[-1]["test_code_acc"] <= 1
    pca = train_autoencoder({"model": "pca", "epochs": 2}, LocalSession(threads=1), data).history
    assert len(pca) == 1 and 0 < pca[0]["test_mse"] < pca[0]["val_mse"] * 3
