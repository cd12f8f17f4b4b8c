"""The thin glue between a Ray-free training loop and Ray Tune."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import ray
from ray import tune

from trainables.session import Session, flatten_arm, load_state, save_images, save_state

# Longest a trial trains between two checkpoints (when its epochs are shorter than this).
CHECKPOINT_S = 60.0


class TuneSession(Session):
    """Checkpoints only where one is needed (each costs a save, a copy into the trial folder and
    often an experiment snapshot; benchmarks/RESULTS.md): at the epochs in `checkpoint_at`
    (ASHA's rungs), at every `checkpoint_every`-th epoch if set, at the last epoch, and once
    `checkpoint_s` seconds have passed since the last one. A crash redoes the epochs since then."""

    def __init__(self, checkpoint_every: int | None = None, checkpoint_at=(), checkpoint_s: float = CHECKPOINT_S):
        resources = tune.get_context().get_trial_resources().required_resources
        self.threads = int(max(1, resources.get("CPU", 1)))
        self.checkpoint_every = int(checkpoint_every or 0)
        self.checkpoint_at = {int(e) for e in checkpoint_at}
        self.checkpoint_s = checkpoint_s
        self._reports = 0
        self._last_checkpoint = time.monotonic()

    def _due(self, metrics: dict) -> bool:
        epoch = int(metrics.get("epoch", self._reports))
        return bool(metrics.get("done_training") or metrics.get("diverged") or metrics.get("early_stopped")
                    or epoch in self.checkpoint_at
                    or (self.checkpoint_every and epoch % self.checkpoint_every == 0)
                    or time.monotonic() - self._last_checkpoint >= self.checkpoint_s)

    def restore(self) -> dict | None:
        checkpoint = tune.get_checkpoint()
        if checkpoint is None:
            return None
        with checkpoint.as_directory() as folder:
            return load_state(Path(folder))

    def report(self, metrics: dict, state: dict | None = None, images: dict | None = None) -> None:
        self._reports += 1
        # which Ray node ran this epoch (node_ip/hostname cannot tell nodes on one machine apart)
        metrics = {**metrics, "node_id": ray.get_runtime_context().get_node_id()}
        # images travel in the checkpoint (a few epochs a trial), never in the result, which
        # Ray's JSON/CSV loggers would write out; studies/tb_logger.py reads them from there
        if state is None or not (images or self._due(metrics)):
            tune.report(metrics)
            return
        self._last_checkpoint = time.monotonic()
        with tempfile.TemporaryDirectory() as folder:
            save_state(state, Path(folder))
            if images:
                save_images(images, int(metrics.get("epoch", self._reports)), Path(folder))
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(folder))


def as_tune_trainable(train_fn, checkpoint_at=(), checkpoint_s: float = CHECKPOINT_S):
    """`train_fn(config, session, data)` as a Tune function trainable; `data` comes via
    `tune.with_parameters`, so it is put in the object store once and shared by a node's trials.
    `checkpoint_at`: epochs that always checkpoint (the runner passes ASHA's rungs)."""

    def trainable(config, data=None):
        config = flatten_arm(config)
        # fault injection promises a checkpoint at the epoch it fails after (trainables/cnn.py)
        at = {*checkpoint_at, *([config["fail_at_epoch"]] if config.get("fail_at_epoch") else [])}
        train_fn(config, TuneSession(config.get("checkpoint_every"), at, checkpoint_s), data)

    trainable.__name__ = train_fn.__name__
    return trainable



def prewarm(train_fn, workers: int, cpus: float) -> None:
    """Import `train_fn`'s module (torch with it) and Ray Tune in `workers` idle Ray workers, while
    the driver builds the Tuner: Tune then leases these warm workers for its first trials, whose
    first results come that much sooner. Fire and forget; the tasks hold the trials' CPUs while
    they run, so no trial can take a cold worker meanwhile."""
    module = train_fn.__module__

    @ray.remote(num_cpus=cpus)
    def warm():
        import importlib

        import ray.tune  # noqa: F401  (what the trial's actor imports besides the trainable)
        importlib.import_module(module)

    for _ in range(workers):
        warm.remote()
