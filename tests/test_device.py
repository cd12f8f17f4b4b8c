"""Every trainable runs where `device` says (`auto`: the GPU when there is one): its models,
optimizers, replay buffers and data there, and each report names that device. On a machine
without a GPU the CPU path is checked (and `auto` must be that same path); on one with a GPU the
same tests check that everything tracked by the loop lives on it."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from trainables.data import Data
from trainables.device import device_label, pick_device
from trainables.session import LocalSession

# the smallest run of each trainable: (module, function, config)
TINY = {
    "cnn": ("trainables.cnn", "train_cnn", {"epochs": 2, "max_train": 60, "max_val": 20, "width": 4}),
    "transfer": ("trainables.transfer", "train_transfer",
                 {"backbone": "vgg16", "method": "transfer", "weights": "none", "epochs": 2, "max_train": 16,
                  "max_val": 10, "max_test": 10, "batch_size": 8, "head": [8]}),
    "rnn_forecast": ("trainables.rnn_forecast", "train_forecaster", {"epochs": 2, "hidden": 4}),
    "sentiment": ("trainables.sentiment", "train_sentiment", {"epochs": 2, "embed_dim": 8, "hidden": 4}),
    "language_model": ("trainables.language_model", "train_language_model",
                       {"epochs": 2, "embed": 8, "hidden": 8, "prompts": 2, "samples_per_prompt": 1,
                        "temperatures": [1.0], "level": "char"}),
    "autoencoders": ("trainables.autoencoders", "train_autoencoder",
                     {"model": "denoiser", "noise": 0.5, "epochs": 2, "max_train": 40, "max_val": 20, "width": 4,
                      "samples": 4}),
    "generative": ("trainables.generative", "train_vae_gan",
                   {"model": "gan", "epochs": 2, "max_train": 40, "max_val": 20, "n_samples": 20, "is_splits": 2,
                    "width": 4, "classifier_epochs": 1, "collapse_d_loss": 0.0}),
    "colorization": ("trainables.colorization", "train_colorization",
                     {"model": "cgan", "epochs": 2, "max_train": 16, "max_val": 8, "width": 4, "preview": 2}),
    "rl": ("trainables.rl", "train_rl", {"agent": "dqn", "epochs": 2, "dqn_episodes_per_block": 2,
                                         "dqn_warmup": 8, "dqn_batch": 4, "dqn_hidden": 4, "dqn_max_steps": 30}),
}


def tiny_sentiment_data() -> Data:
    """Token ids in the shape the sentiment loader gives (a stand-in: no corpus needed)."""
    rng = np.random.default_rng(0)
    ids = lambda n: rng.integers(2, 30, size=(n, 6)).astype(np.int64)
    labels = lambda n: rng.integers(0, 2, size=n).astype(np.int64)
    glove = rng.normal(size=(30, 5)).astype(np.float32)
    return Data({"x_train": ids(24), "y_train": labels(24), "x_val": ids(8), "y_val": labels(8),
                 "x_test": ids(8), "y_test": labels(8), "x_examples": ids(2), "glove": glove,
                 "glove_found": np.ones(30, bool)}, name="random token ids (test stand-in)", source="test")


def data_for(name: str, tmp_path):
    if name == "sentiment":
        return tiny_sentiment_data()
    if name == "language_model":
        from trainables.data.corpus import load_text
        text = tmp_path / "text.txt"
        text.write_text("".join(f"line {i}: to be, or not to be, that is the question.\n" for i in range(200)))
        return load_text(str(text))
    return None


class WhereSession(LocalSession):
    """Keeps, with each report, the devices of every tensor the checkpoint holds of the tracked
    objects (models, optimizers, agents, replay buffers)."""

    def __init__(self):
        super().__init__(threads=1)
        self.devices: set[str] = set()

    def report(self, metrics, state=None, images=None):
        super().report(metrics, state, images)
        # 0-d tensors left out: Adam keeps its step counter on the CPU by design
        self.devices |= {t.device.type for t in tensors(state["objects"]) if t.dim() > 0}


def tensors(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from tensors(v)


def run_tiny(name: str, device: str, tmp_path):
    import importlib
    module, fn, config = TINY[name]
    train = getattr(importlib.import_module(module), fn)
    return train({**config, "device": device}, WhereSession(), data_for(name, tmp_path))


def test_auto_picks_the_gpu_when_there_is_one_else_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("auto") == torch.device("cpu")
    assert pick_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", sorted(TINY))
def test_every_trainable_runs_and_keeps_its_state_on_the_device_it_reports(name, tmp_path):
    session = run_tiny(name, "auto", tmp_path)
    want = pick_device("auto")
    # the objects that define the training state (tracked by the loop) all live on that device
    assert session.devices == {want.type}, session.devices
    assert {h["device"] for h in session.history} == {device_label(want)}
    assert session.history[-1]["done_training"] and not session.history[-1]["diverged"]
    if want.type == "cpu":  # `auto` here is the CPU path itself: the same numbers as device=cpu
        again = run_tiny(name, "cpu", tmp_path).history
        drop = {"epoch_s", "images_per_s", "block_s", "eval_s", "mean_epoch_s", "ms_per_image",
                "mean_ms_per_image", "loss_jitter"}
        assert [{k: v for k, v in h.items() if k not in drop} for h in session.history] == \
               [{k: v for k, v in h.items() if k not in drop} for h in again]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine")
def test_on_a_gpu_the_label_names_it():
    label = device_label(pick_device("auto"))
    assert label.startswith("cuda:0 (") and torch.cuda.get_device_name(0) in label
