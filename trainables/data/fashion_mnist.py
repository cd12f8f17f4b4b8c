"""Fashion-MNIST: the local stand-in for CIFAR-10 in Table 1 and Figure 1 (issue 13, item 5).

Why not the embedded MNIST digits: the Section 1 CNN reaches 97% on them after a few epochs, so a
method that helps cannot show it (the report's CIFAR-10 baseline is 75%). On a 4k/1k subset of
Fashion-MNIST the same CNN stays below 90%.

The files are the standard idx files (60k train + 10k test, MIT) of the Debian package
`dataset-fashion-mnist` (`make install` installs it when run as root). Only the official TRAIN
file is read: a fixed class-balanced 50k/10k train/validation split of it, then each part
subsampled (`max_train`, `max_val`) class-balanced. Figure 1 never reads the official test file;
Table 1 and the transfer study (Table 2) read it as their test split, never for a choice
(`load_fashion_mnist_with_test`).
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from trainables.data.cache import DataError
from trainables.data.dataset import Data, stratified_split, subsample_splits

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
PACKAGE = "dataset-fashion-mnist"
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
VAL_FRACTION = 1 / 6   # 10,000 of the 60,000: the size of the official test file, held out of train
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")


def read_idx(path: Path) -> np.ndarray:
    """One idx file (gzipped or not) of unsigned bytes, the MNIST format: a big-endian magic
    0x0000 08 <ndim>, ndim big-endian uint32 sizes, then the data."""
    raw = gzip.open(path).read() if str(path).endswith(".gz") else Path(path).read_bytes()
    if len(raw) < 4 or raw[0] or raw[1] or raw[2] != 0x08 or not 1 <= raw[3] <= 4:
        raise DataError(f"{path} is not an idx file of unsigned bytes (magic {raw[:4].hex()})")
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", ndim, offset=4))
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataError(f"{path} holds {data.size} bytes of data, its header says {shape} (truncated?)")
    return data.reshape(shape)


def read_train_file(folder: Path, files: tuple[str, str] = TRAIN_FILES) -> tuple[np.ndarray, np.ndarray]:
    """The official training images (N, 1, 28, 28) uint8 and labels (N,) int64 (`files`:
    TEST_FILES for the official test file)."""
    images, labels = (folder / name for name in files)
    if not images.exists() or not labels.exists():
        raise DataError(f"Fashion-MNIST is not under {folder}: install the Debian package {PACKAGE} "
                        f"(`apt-get install -y {PACKAGE}` as root, or `make install` as root)")
    x, y = read_idx(images), read_idx(labels)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataError(f"Fashion-MNIST under {folder}: images {x.shape} and labels {y.shape} do not match")
    return x[:, None], y.astype(np.int64)


def load_fashion_mnist(root: str | None = None, max_train: int | None = None,
                       max_val: int | None = None) -> Data:
    folder = Path(root) if root else DEBIAN_DIR
    x, y = read_train_file(folder)
    tr, va = stratified_split(y, VAL_FRACTION)
    arrays = subsample_splits({"x_train": x[tr], "y_train": y[tr], "x_val": x[va], "y_val": y[va]},
                              train=max_train, val=max_val)
    return Data(arrays, name=f"Fashion-MNIST, {len(arrays['y_train'])} train / {len(arrays['y_val'])} "
                             f"validation, class-balanced from the official train file",
                source=f"Debian {PACKAGE} idx files at {folder}", stand_in_for="CIFAR-10")


def load_fashion_mnist_with_test(root: str | None = None, max_train: int | None = None,
                                 max_val: int | None = None, max_test: int | None = None,
                                 stand_in_for: str = "Tiny-ImageNet") -> Data:
    """Train and validation (early stopping, the learning rate) from the official train file as
    above, test from the official test file (t10k), read only for the test columns: the transfer
    study's stand-in for Tiny-ImageNet, and Table 1's for CIFAR-10. Each part subsampled
    class-balanced."""
    folder = Path(root) if root else DEBIAN_DIR
    x, y = read_train_file(folder)
    x_te, y_te = read_train_file(folder, TEST_FILES)
    tr, va = stratified_split(y, VAL_FRACTION)
    arrays = subsample_splits({"x_train": x[tr], "y_train": y[tr], "x_val": x[va], "y_val": y[va],
                               "x_test": x_te, "y_test": y_te}, train=max_train, val=max_val, test=max_test)
    n = {s: len(arrays[f"y_{s}"]) for s in ("train", "val", "test")}
    return Data(arrays, name=f"Fashion-MNIST, {n['train']} train / {n['val']} validation (class-balanced "
                             f"from the official train file) / {n['test']} test (official test file)",
                source=f"Debian {PACKAGE} idx files at {folder}", stand_in_for=stand_in_for)
