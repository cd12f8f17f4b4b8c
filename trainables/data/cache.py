"""The data cache: one prepared copy of each dataset per node, built under a file lock so
that concurrent trials (or a driver and its trials) never build or download it twice."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
from filelock import FileLock

T = TypeVar("T")


class DataError(RuntimeError):
    """A dataset cannot be had (no network, missing file); the message says what to do."""


def cache_dir() -> Path:
    root = Path(os.environ.get("TUNESTUDIES_CACHE", Path.home() / ".cache" / "tunestudies"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def cached_arrays(key: str, build: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Arrays stored as `<cache>/<key>.npz` with its sha256 beside it; `build()` runs once per
    node, under a lock. A file that no longer matches its hash is refused, not silently used."""
    path = cache_dir() / f"{key}.npz"
    sha_path = path.with_suffix(".npz.sha256")
    if not (path.exists() and sha_path.exists()):  # a file without its recorded hash is rebuilt, not trusted
        with FileLock(str(path) + ".lock"):
            if not (path.exists() and sha_path.exists()):
                arrays = build()
                tmp = path.with_suffix(".tmp.npz")
                np.savez(tmp, **arrays)
                sha_path.write_text(file_sha256(tmp))
                tmp.replace(path)
    if file_sha256(path) != sha_path.read_text().strip():
        raise DataError(f"cached dataset {path} is corrupt or truncated (its sha256 does not match "
                        f"{sha_path.name}); delete both files and it is rebuilt")
    with np.load(path) as stored:
        return {name: stored[name] for name in stored.files}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest(arrays: dict[str, np.ndarray]) -> str:
    """A short content hash of a dataset, for the manifest."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()[:16]


def first_line(err: BaseException) -> str:
    """An exception's first line, for one-line messages (its type's name if it has no text)."""
    text = str(getattr(err, "reason", None) or err).strip()
    return (text.splitlines() or [type(err).__name__])[0][:120]


def fetch_once(lock: Path, fetch: Callable[[], T], hint: Callable[..., str],
               ready: Callable[[], bool] = lambda: False) -> T | None:
    """Run `fetch()` (a download, an unpacking) once per node: under a file lock, so concurrent
    trials never fetch twice, and only while `ready()` is false (checked again under the lock).
    Any failure (no network, a refused download, a bad archive) becomes one DataError whose text is
    `hint(err=<the failure's first line>)`, which names what to do instead. Returns fetch()'s value,
    or None if the data was ready."""
    if ready():
        return None
    Path(lock).parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock)):
            return None if ready() else fetch()
    except DataError:
        raise
    except Exception as err:  # URLError, socket errors, "not found", a partial file: all mean no data
        raise DataError(hint(err=first_line(err))) from None
