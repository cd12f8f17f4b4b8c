"""The thin glue between a Ray-free training loop and Ray Tune."""
from __future__ import annotations

import tempfile
from pathlib import Path

import ray
from ray import tune

from trainables.session import Session, flatten_arm, load_state, save_state


class TuneSession(Session):
    def __init__(self, checkpoint_every: int = 1):
        resources = tune.get_context().get_trial_resources().required_resources
        self.threads = int(max(1, resources.get("CPU", 1)))
        self.checkpoint_every = max(1, int(checkpoint_every))
        self._reports = 0

    def restore(self) -> dict | None:
        checkpoint = tune.get_checkpoint()
        if checkpoint is None:
            return None
        with checkpoint.as_directory() as folder:
            return load_state(Path(folder))

    def report(self, metrics: dict, state: dict | None = None) -> None:
        self._reports += 1
        # which Ray node ran this epoch (node_ip/hostname cannot tell nodes on one machine apart)
        metrics = {**metrics, "node_id": ray.get_runtime_context().get_node_id()}
        last = metrics.get("done_training") or metrics.get("diverged")
        if state is None or (self._reports % self.checkpoint_every and not last):
            tune.report(metrics)
            return
        with tempfile.TemporaryDirectory() as folder:
            save_state(state, Path(folder))
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(folder))


def as_tune_trainable(train_fn):
    """`train_fn(config, session, data)` as a Tune function trainable; `data` comes via
    `tune.with_parameters`, so it is put in the object store once and shared by a node's trials."""

    def trainable(config, data=None):
        config = flatten_arm(config)
        train_fn(config, TuneSession(config.get("checkpoint_every", 1)), data)

    trainable.__name__ = train_fn.__name__
    return trainable

