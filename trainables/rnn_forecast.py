"""The report's Section 3.1 RNN forecaster: next month's value from the last `window` months
(Figure 3), on the monthly airline-passengers series.

Honest in time: the model trains on the first months, the nuisance settings are judged on the
months after them (validation), and the last months are the test; the scaling is fitted on the
training months alone. Every forecast is one step ahead from observed past values.

`transform` says what the RNN sees: "minmax" (the series min-max scaled, as the report's kind of
model does; a growing series puts the test months above every value it trained on, out of the
range a tanh RNN can extrapolate to) or "log_diff" (the month-to-month change of the log, min-max
scaled; its forecast times last month's value is the forecast in passengers, so growth and
seasonality the model learned in 1949-57 carry over to any level).

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
from trainables.previews import forecast_plot
from trainables.session import is_finite

DEFAULTS = {
    "window": 3, "hidden": 32, "lr": 3e-3, "batch_size": 16, "epochs": 100,
    "val_months": 12, "test_months": 24, "max_months": 0, "transform": "minmax",
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


class LogDiff:
    """z[j] = scaled log(s[j+1] / s[j]): month j+1's log change (`lag` = 1: month 0 has none), the
    scaling fitted on the training months' changes; back in units, pred * the observed last month."""
    lag = 1

    def __init__(self, series: np.ndarray, n_train: int):
        self.series = np.asarray(series, np.float64)
        d = np.diff(np.log(self.series))
        self.scaler = MinMax(d[:n_train - 1])
        self.z = self.scaler(d).astype(np.float32)

    def to_units(self, pred, months: np.ndarray) -> np.ndarray:
        return self.series[months - 1] * np.exp(self.scaler.inverse(np.asarray(pred, np.float64)))


class Scaled:
    """z[j] = the series' value of month j, min-max scaled on the training months (`lag` = 0)."""
    lag = 0

    def __init__(self, series: np.ndarray, n_train: int):
        self.scaler = MinMax(series[:n_train])
        self.z = self.scaler(series)

    def to_units(self, pred, months: np.ndarray) -> np.ndarray:
        return self.scaler.inverse(pred)


TRANSFORMS = {"minmax": Scaled, "log_diff": LogDiff}


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


def _errors(model, x, y_true_units, to_units) -> tuple[float, float, np.ndarray]:
    with torch.no_grad():
        pred = to_units(model(x).cpu().numpy())
    err = pred - y_true_units
    return float(np.sqrt(np.mean(err ** 2))), float(np.mean(np.abs(err))), pred


@trainable(DEFAULTS, load_airline)
def train_forecaster(run: Run) -> None:
    config, device = run.config, run.device
    series = np.asarray(run.data.arrays["series"], np.float32)
    w = int(config["window"])
    n_train, n_val_end = split_points(len(series), int(config["val_months"]), int(config["test_months"]))
    if config["transform"] not in TRANSFORMS:
        raise ValueError(f"transform {config['transform']!r}: use {' or '.join(TRANSFORMS)}")
    tf = TRANSFORMS[config["transform"]](series, n_train)
    z, lag = tf.z, tf.lag   # z[j] belongs to month j + lag
    # the whole series is a few kB: every window goes to the device once
    xt, yt = (torch.from_numpy(a).to(device) for a in windows(z, w, 0, n_train - lag))
    x_va = torch.from_numpy(windows(z, w, n_train - lag, n_val_end - lag)[0]).to(device)
    x_te = torch.from_numpy(windows(z, w, n_val_end - lag, len(series) - lag)[0]).to(device)
    to_val = lambda pred: tf.to_units(pred, np.arange(n_train, n_val_end))
    to_test = lambda pred: tf.to_units(pred, np.arange(n_val_end, len(series)))
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
        val_rmse, val_mae, _ = _errors(model, x_va, y_va_units, to_val)
        test_rmse, test_mae, _ = _errors(model, x_te, y_te_units, to_test)
        metrics = {"train_loss": train_loss, "val_rmse": val_rmse, "val_mae": val_mae,
                   "test_rmse": test_rmse, "test_mae": test_mae}
        if run.last and is_finite(train_loss, val_rmse):
            metrics["predictions"] = forecast_json(model, tf, w, device)
        run.report(metrics, finite=(train_loss, val_rmse), images=lambda: {"forecast": forecast_plot(
            series, json.loads(forecast_json(model, tf, w, device)), marks=(n_train, n_val_end))})


def forecast_json(model, tf, window, device) -> str:
    """One-step-ahead forecasts of every month (null for the first `window` + lag), as a JSON list
    in the series' units: the last epoch's metrics carry it, so the figure needs no other file."""
    x, _ = windows(tf.z, window, 0, len(tf.z))
    first = window + tf.lag
    with torch.no_grad():
        pred = tf.to_units(model(torch.from_numpy(x).to(device)).cpu().numpy(),
                           np.arange(first, first + len(x)))
    values = [None] * first + [round(float(v), 2) for v in pred]
    return json.dumps([None if v is None or not math.isfinite(v) else v for v in values])


train_forecaster.metrics = {"train_loss": "min", "val_rmse": "min", "val_mae": "min",
                            "test_rmse": "min", "test_mae": "min"}
