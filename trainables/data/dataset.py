"""What every loader returns, and the class-balanced splits and subsamples they share."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trainables.data.cache import DataError, digest


@dataclass
class Data:
    """Arrays of one dataset (images as uint8 (N, C, H, W), labels int64, ...) and what it is,
    so that tables can name a stand-in as one."""
    arrays: dict[str, np.ndarray]
    name: str                  # what it is, as a table prints it
    source: str                # where it came from
    stand_in_for: str = ""     # the report's dataset this replaces, "" if it is the real one
    extra: dict = field(default_factory=dict)

    @property
    def info(self) -> dict:
        return {"name": self.name, "source": self.source, "stand_in_for": self.stand_in_for,
                "sha256_16": digest(self.arrays), **self.extra}


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


def subsample_splits(arrays: dict[str, np.ndarray], **limits: int | None) -> dict[str, np.ndarray]:
    """`arrays` with `x_<split>`/`y_<split>` cut to at most `limits[split]` examples each."""
    out = dict(arrays)
    for split, n in limits.items():
        out[f"x_{split}"], out[f"y_{split}"] = subsample(out[f"x_{split}"], out[f"y_{split}"], n or None)
    return out
