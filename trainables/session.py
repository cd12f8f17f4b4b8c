"""What a training loop needs from whatever runs it: report each epoch, keep a checkpoint.

Model code takes a `Session`, so the same `train_x(config, session)` runs under Ray Tune
(`trainables.tune_session.TuneSession`) or bare, with no Ray installed (`LocalSession`).
"""
from __future__ import annotations

import math
from pathlib import Path

import torch


class Session:
    threads: int | None = None  # CPU threads the host gives this trial (None: leave torch alone)

    def restore(self) -> dict | None:
        """The training state of the last checkpoint, or None for a fresh start."""
        return None

    def report(self, metrics: dict, state: dict | None = None) -> None:
        raise NotImplementedError


class LocalSession(Session):
    """Runs a trainable without Ray: keeps every report, and checkpoints to a folder if given."""

    def __init__(self, checkpoint_dir: str | Path | None = None, threads: int | None = None):
        self.history: list[dict] = []
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.threads = threads

    def restore(self) -> dict | None:
        path = self.checkpoint_dir and self.checkpoint_dir / STATE_FILE
        return load_state(path.parent) if path and path.exists() else None

    def report(self, metrics: dict, state: dict | None = None) -> None:
        self.history.append(dict(metrics))
        if state is not None and self.checkpoint_dir:
            save_state(state, self.checkpoint_dir)


STATE_FILE = "state.pt"


def save_state(state: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (STATE_FILE + ".tmp")
    torch.save(state, tmp)
    tmp.replace(folder / STATE_FILE)  # atomic: a crash never leaves half a checkpoint


def load_state(folder: Path) -> dict:
    return torch.load(Path(folder) / STATE_FILE, map_location="cpu", weights_only=False)


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
