"""What a training loop needs from whatever runs it: report each epoch, keep a checkpoint.

Model code takes a `Session`, so the same `train_x(config, session)` runs under Ray Tune
(`trainables.tune_session.TuneSession`) or bare, with no Ray installed (`LocalSession`).
"""
from __future__ import annotations

import math
import pickle
from pathlib import Path

import numpy as np
import torch


class Session:
    threads: int | None = None  # CPU threads the host gives this trial (None: leave torch alone)
    wants_images = True  # False: `Run.report` never computes the previews (timings stay clean)

    def restore(self) -> dict | None:
        """The training state of the last checkpoint, or None for a fresh start."""
        return None

    def report(self, metrics: dict, state: dict | None = None, images: dict | None = None) -> None:
        """`images`: {tag: (H, W, C) uint8} previews of this epoch (trainables/previews.py)."""
        raise NotImplementedError


class LocalSession(Session):
    """Runs a trainable without Ray: keeps every report, and checkpoints to a folder if given."""

    def __init__(self, checkpoint_dir: str | Path | None = None, threads: int | None = None):
        self.history: list[dict] = []
        self.images: dict[int, dict] = {}  # epoch -> {tag: image}
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.threads = threads

    def restore(self) -> dict | None:
        path = self.checkpoint_dir and self.checkpoint_dir / STATE_FILE
        return load_state(path.parent) if path and path.exists() else None

    def report(self, metrics: dict, state: dict | None = None, images: dict | None = None) -> None:
        self.history.append(dict(metrics))
        if images:
            self.images[int(metrics.get("epoch", len(self.history)))] = images
        if state is not None and self.checkpoint_dir:
            save_state(state, self.checkpoint_dir)


STATE_FILE = "state.pt"
IMAGES_FILE = "images.npz"  # beside state.pt: the epoch's previews, read without loading the state


def save_images(images: dict, epoch: int, folder: Path) -> None:
    np.savez_compressed(Path(folder) / IMAGES_FILE, epoch=np.int64(epoch), **images)


def read_images(stream) -> tuple[int, dict]:
    """(epoch, {tag: image}) from an open IMAGES_FILE; plain arrays only (no pickles)."""
    with np.load(stream, allow_pickle=False) as npz:
        return int(npz["epoch"]), {k: npz[k] for k in npz.files if k != "epoch"}


class CheckpointError(RuntimeError):
    """A checkpoint that holds more than tensors and plain values: refused, never unpickled."""


def save_state(state: dict, folder: Path) -> None:
    """`state` as tensors and plain values only (numpy arrays become tensors), so that
    `load_state` can read it with `weights_only=True`."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (STATE_FILE + ".tmp")
    torch.save(_plain(state), tmp)
    tmp.replace(folder / STATE_FILE)  # atomic: a crash never leaves half a checkpoint


def load_state(folder: Path) -> dict:
    """A checkpoint read with `weights_only=True`: torch's restricted unpickler builds tensors and
    plain containers only, so a planted file (the shared storage may be writable by others) cannot
    run code; anything else is a CheckpointError of one line."""
    path = Path(folder) / STATE_FILE
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise CheckpointError(f"{path}: refused, it holds more than tensors and plain values "
                              f"({first})") from None
    return _numpy_back(state)


NDARRAY = "__ndarray__"  # marks a numpy array stored as a tensor, so it loads as numpy again


def _plain(obj):
    if isinstance(obj, np.ndarray):
        if obj.dtype == object or obj.dtype.kind in "USV":
            raise TypeError(f"a checkpoint holds no {obj.dtype} arrays")
        return {NDARRAY: torch.from_numpy(np.ascontiguousarray(obj))}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


def _numpy_back(obj):
    if isinstance(obj, dict):
        if set(obj) == {NDARRAY}:
            return obj[NDARRAY].numpy()
        return {k: _numpy_back(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_numpy_back(v) for v in obj)
    return obj


def apply_threads(session: Session) -> None:
    if session.threads:
        torch.set_num_threads(max(1, int(session.threads)))


def is_finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def flatten_arm(config: dict) -> dict:
    """Trials carry their arm as a dict (`{"name": ..., settings}`); the loop sees it flat."""
    arm = config.get("arm")
    if isinstance(arm, dict):
        return {**config, **{k: v for k, v in arm.items() if k != "name"}, "arm": arm["name"]}
    return dict(config)
