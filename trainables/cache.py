"""The data cache: one prepared copy of each dataset per node, built under a file lock so
that concurrent trials (or a driver and its trials) never build or download it twice."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import numpy as np
from filelock import FileLock


class DataError(RuntimeError):
    """A dataset cannot be had (no network, missing file); the message says what to do."""


def cache_dir() -> Path:
    root = Path(os.environ.get("TUNESTUDIES_CACHE", Path.home() / ".cache" / "tunestudies"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def cached_arrays(key: str, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Arrays stored as `<cache>/<key>.npz`; `build()` runs once per node, under a lock."""
    path = cache_dir() / f"{key}.npz"
    if not path.exists():
        with FileLock(str(path) + ".lock"):
            if not path.exists():
                arrays = build()
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, **arrays)
                tmp.replace(path)
    with np.load(path) as stored:
        return {name: stored[name] for name in stored.files}


def digest(arrays: dict[str, np.ndarray]) -> str:
    """A short content hash of a dataset, for the manifest."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()[:16]
