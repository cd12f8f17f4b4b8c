"""The report's Section 1 CNN classifier and its training loop (Table 1, Figure 1).

`train_cnn(config, session, data)` runs without Ray (trainables.loop); under Tune, `session` is a TuneSession.
"""
from __future__ import annotations

import contextlib
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainables.augment import augment
from trainables.data.cifar10 import load_images
from trainables.device import to_float
from trainables.loop import Run, step, trainable
from trainables.measures import oscillation  # pure numpy: the same measure the analysis documents

DEFAULTS = {
    "lr": 1e-3, "optimizer": "adam", "momentum": 0.9, "batch_size": 64, "epochs": 10,
    "augment": "none", "dropout": 0.0, "batch_norm": False, "zero_init": False,
    "width": 16, "dataset": "digits", "data_root": "", "max_train": 0, "max_val": 0,
    # test_split: a test split (trainables.data.cifar10.load_images), scored once after the last epoch
    "test_split": False, "max_test": 0,
}

class CNN(nn.Module):
    """Two conv blocks, then FC 128 -> FC 64 -> classes. BN (if on) sits before each activation;
    dropout (if > 0) follows each hidden fully connected layer."""

    def __init__(self, in_channels: int, image_size: int, classes: int = 10, width: int = 16,
                 dropout: float = 0.0, batch_norm: bool = False):
        super().__init__()
        norm2d = (lambda c: nn.BatchNorm2d(c)) if batch_norm else (lambda c: nn.Identity())
        norm1d = (lambda c: nn.BatchNorm1d(c)) if batch_norm else (lambda c: nn.Identity())
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), norm2d(width), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), norm2d(2 * width), nn.ReLU(), nn.MaxPool2d(2),
        )
        flat = 2 * width * (image_size // 4) ** 2
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, 128), norm1d(128), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(128, 64), norm1d(64), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(64, classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def zero_init_(model: nn.Module) -> None:
    """Every weight and bias to zero: forward outputs are constant, gradients vanish (Table 1)."""
    for p in model.parameters():
        nn.init.zeros_(p)
    for m in model.modules():  # keep BN's scale at 1 so only the learned weights are zero
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)


def build(config: dict, data_arrays: dict) -> tuple[CNN, torch.optim.Optimizer]:
    c, h = data_arrays["x_train"].shape[1], data_arrays["x_train"].shape[2]
    classes = int(max(data_arrays["y_train"].max(), data_arrays["y_val"].max()) + 1)
    model = CNN(c, h, classes, config["width"], config["dropout"], config["batch_norm"])
    if config["zero_init"]:
        zero_init_(model)
    if config["optimizer"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=config["lr"], momentum=config["momentum"])
    elif config["optimizer"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    else:
        raise ValueError(f"optimizer must be adam or sgd, not {config['optimizer']!r}")
    return model, opt


def run_epoch(model, opt, x, y, batch_size, device, augment_level="none", generator=None, run=None):
    """One pass over (x, y); trains if `opt` is given. Returns loss, accuracy, seconds, the jitter
    of the per-batch loss (the std of its step-to-step change relative to its mean; it grows as the
    loss falls) and its oscillation: the std of the per-batch loss around its moving-average trend,
    in loss units (trainables.measures.oscillation), what Figure 1's "more oscillations" is about.
    `run` (a trainables.loop.Run) brings mixed precision and loss scaling; without it, float32."""
    model.train(opt is not None)
    losses, sizes, correct, start = [], [], 0, time.perf_counter()
    order = torch.randperm(len(y), generator=generator) if opt is not None else torch.arange(len(y))
    autocast = run.autocast if run is not None else contextlib.nullcontext
    with torch.set_grad_enabled(opt is not None):
        for i in range(0, len(y), batch_size):
            idx = order[i:i + batch_size]
            xb, yb = to_float(x[idx]).to(device), y[idx].to(device)
            if opt is not None:
                xb = augment(xb, augment_level, generator)
            with autocast():
                out = model(xb).float()  # the loss in float32 under autocast
            loss = F.cross_entropy(out, yb)
            if opt is not None:
                (run.step if run is not None else step)(opt, loss)
            # kept on the device: one host sync per pass, not per batch
            losses.append(loss.detach())
            sizes.append(len(idx))
            correct = correct + (out.argmax(1) == yb).sum()
    losses = [v * n for v, n in zip(torch.stack(losses).tolist(), sizes)]
    correct = int(correct)
    seconds = time.perf_counter() - start
    per_batch = np.asarray(losses) / np.minimum(batch_size, len(y) - np.arange(0, len(y), batch_size))
    jitter = float(np.std(np.diff(per_batch)) / max(per_batch.mean(), 1e-12)) if len(per_batch) > 2 else 0.0
    return sum(losses) / len(y), correct / len(y), seconds, jitter, oscillation(per_batch)


@trainable(DEFAULTS, load_images)
def train_cnn(run: Run) -> None:
    config, arrays, device = run.config, run.data.arrays, run.device
    model, opt = build(config, arrays)
    run.track(model=run.prepare_model(model, conv=True), optimizer=opt)
    # the data goes to the device once, as uint8 (copies: object-store arrays are read-only)
    xt, yt, xv, yv = (torch.tensor(arrays[k], device=device) for k in ("x_train", "y_train", "x_val", "y_val"))
    # train accuracy in evaluation mode (no dropout, BN's running statistics, no augmentation) on a
    # fixed slice of the training images as large as the validation split: the fair side of a
    # train - validation gap; the running training-mode accuracy (what the report's logs show) is
    # lowered by dropout and augmentation by construction
    n_eval = min(len(yt), len(yv))
    for _ in run.epochs():
        tr_loss, tr_acc, seconds, jitter, wobble = run_epoch(
            model, opt, xt, yt, config["batch_size"], device, config["augment"], run.generator, run)
        va_loss, va_acc, *_ = run_epoch(model, None, xv, yv, 512, device, run=run)
        ev_loss, ev_acc, *_ = run_epoch(model, None, xt[:n_eval], yt[:n_eval], 512, device, run=run)
        test = {}
        if run.last and "x_test" in arrays:  # once, after the last epoch: nothing chooses or stops on it
            xs, ys = (torch.tensor(arrays[k], device=device) for k in ("x_test", "y_test"))
            loss, acc, *_ = run_epoch(model, None, xs, ys, 512, device, run=run)
            test = {"test_loss": loss, "test_acc": acc}
        run.report({"train_loss": tr_loss, "train_acc": tr_acc, "val_loss": va_loss, "val_acc": va_acc,
                    "train_eval_loss": ev_loss, "train_eval_acc": ev_acc, **test,
                    "loss_jitter": jitter, "loss_oscillation": wobble, "epoch_s": seconds, "images_per_s": len(yt) / seconds},
                   finite=(tr_loss, va_loss))


# The direction of every metric this trainable reports (the study contract, studies/contract.py)
train_cnn.metrics = {"train_loss": "min", "train_acc": "max", "val_loss": "min", "val_acc": "max",
                     "train_eval_loss": "min", "train_eval_acc": "max", "test_loss": "min", "test_acc": "max",
                     "loss_jitter": "min", "loss_oscillation": "min", "epoch_s": "cost", "images_per_s": "cost"}
