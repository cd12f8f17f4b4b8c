"""The report's Section 3.1 RNN forecaster: next month's value from the last `window` months
(Figure 3), on the monthly airline-passengers series.

Honest in time: the model trains on the first months, the nuisance settings are judged on the
months after them (validation), and the last months are the test; the min-max scaling is fitted
on the training months alone. Every forecast is one step ahead from observed past values.

`train_forecaster(config, session, data)` runs without Ray.
"""
from __future__ import annotations

import json
import math

import numpy as np
import torch
import torch.nn as nn

from trainables.data.airline import load_airline
from trainables.loop import Run, step, trainable
from trainables.session import is_finite

DEFAULTS = {
    "window": 3, "hidden": 32, "lr": 3e-3, "batch_size": 16, "epochs": 100,
    "val_months": 12, "test_months": 24, "max_months": 0,
}


def split_points(n: int, val_months: int, test_months: int) -> tuple[int, int]:
    """(end of training months, end of validation months); the rest is the test."""
    n_train = n - val_months - test_months
    if n_train < 2:
        raise ValueError(f"{n} months leave no training months after {val_months} + {test_months}")
    return n_train, n_train + val_months


class MinMax:
    """Min-max scaling to [0, 1], fitted on the values it is given (the training months only)."""

    def __init__(self, train_values: np.ndarray):
        self.lo = float(np.min(train_values))
        self.span = float(np.max(train_values) - self.lo) or 1.0

    def __call__(self, x):
        return (x - self.lo) / self.span

    def inverse(self, z):
        return z * self.span + self.lo


def windows(z: np.ndarray, window: int, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs z[t-window:t] and targets z[t] for every target month t in [max(start, window), stop)."""
    targets = range(max(start, window), stop)
    x = np.stack([z[t - window:t] for t in targets]).astype(np.float32)[..., None]  # (N, window, 1)
    y = np.asarray([z[t] for t in targets], np.float32)
    return x, y


class RNNForecaster(nn.Module):
    """A simple (Elman, tanh) RNN over the window; a linear read-out of its last hidden state."""

    def __init__(self, hidden: int = 32):
        super().__init__()
        self.rnn = nn.RNN(1, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):  # x: (N, window, 1)
        _, h = self.rnn(x)
        return self.out(h[-1]).squeeze(-1)


def _errors(model, x, y_true_units, scaler) -> tuple[float, float, np.ndarray]:
    with torch.no_grad():
        pred = scaler.inverse(model(x).cpu().numpy())
    err = pred - y_true_units
    return float(np.sqrt(np.mean(err ** 2))), float(np.mean(np.abs(err))), pred


@trainable(DEFAULTS, load_airline)
def train_forecaster(run: Run) -> None:
    config, device = run.config, run.device
    series = np.asarray(run.data.arrays["series"], np.float32)
    w = int(config["window"])
    n_train, n_val_end = split_points(len(series), int(config["val_months"]), int(config["test_months"]))
    scaler = MinMax(series[:n_train])
    z = scaler(series)
    # the whole series is a few kB: every window goes to the device once
    xt, yt = (torch.from_numpy(a).to(device) for a in windows(z, w, 0, n_train))
    x_va = torch.from_numpy(windows(z, w, n_train, n_val_end)[0]).to(device)
    x_te = torch.from_numpy(windows(z, w, n_val_end, len(series))[0]).to(device)
    y_va_units, y_te_units = series[n_train:n_val_end], series[n_val_end:]
    model = RNNForecaster(int(config["hidden"])).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    run.track(model=model, optimizer=opt)
    bs = int(config["batch_size"])
    for _ in run.epochs():
        model.train()
        order, total = torch.randperm(len(yt), generator=run.generator).to(device), 0.0
        for i in range(0, len(yt), bs):
            idx = order[i:i + bs]
            loss = nn.functional.mse_loss(model(xt[idx]), yt[idx])
            step(opt, loss)
            total += loss.item() * len(idx)
        train_loss = total / len(yt)
        model.eval()
        val_rmse, val_mae, _ = _errors(model, x_va, y_va_units, scaler)
        test_rmse, test_mae, _ = _errors(model, x_te, y_te_units, scaler)
        metrics = {"train_loss": train_loss, "val_rmse": val_rmse, "val_mae": val_mae,
                   "test_rmse": test_rmse, "test_mae": test_mae}
        if run.last and is_finite(train_loss, val_rmse):
            metrics["predictions"] = forecast_json(model, z, w, scaler, device)
        run.report(metrics, finite=(train_loss, val_rmse))


def forecast_json(model, z, window, scaler, device) -> str:
    """One-step-ahead forecasts of every month (null for the first `window`), as a JSON list in
    the series' units: the last epoch's metrics carry it, so the figure needs no other file."""
    x, _ = windows(z, window, 0, len(z))
    with torch.no_grad():
        pred = scaler.inverse(model(torch.from_numpy(x).to(device)).cpu().numpy())
    values = [None] * window + [round(float(v), 2) for v in pred]
    return json.dumps([None if v is None or not math.isfinite(v) else v for v in values])


train_forecaster.metrics = {"train_loss": "min", "val_rmse": "min", "val_mae": "min",
                            "test_rmse": "min", "test_mae": "min"}
