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

from trainables.images import Data
from trainables.session import LocalSession, Session, apply_threads, is_finite, resume, training_state

# Box, G. E. P., Jenkins, G. M. & Reinsel, G. C., "Time Series Analysis: Forecasting and Control",
# Series G: international airline passengers, monthly totals in thousands, Jan 1949 - Dec 1960
# (public domain; the same 144 values ship as R's `AirPassengers` and in pmdarima / sktime).
AIRLINE_PASSENGERS = (
    112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118,  # 1949
    115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140,  # 1950
    145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166,  # 1951
    171, 180, 193, 181, 183, 218, 230, 242, 209, 191, 172, 194,  # 1952
    196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201,  # 1953
    204, 188, 235, 227, 234, 264, 302, 293, 259, 229, 203, 229,  # 1954
    242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278,  # 1955
    284, 277, 317, 313, 318, 374, 413, 405, 355, 306, 271, 306,  # 1956
    315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336,  # 1957
    340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337,  # 1958
    360, 342, 406, 396, 420, 472, 548, 559, 463, 407, 362, 405,  # 1959
    417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432,  # 1960
)
FIRST_MONTH = "1949-01"

DEFAULTS = {
    "window": 3, "hidden": 32, "lr": 3e-3, "batch_size": 16, "epochs": 100,
    "val_months": 12, "test_months": 24, "max_months": 0, "seed": 0,
}


def load_airline(config: dict | None = None) -> Data:
    """The 144 monthly values (optionally the first `max_months` of them, for quick tests)."""
    series = np.asarray(AIRLINE_PASSENGERS, np.float32)
    n = int((config or {}).get("max_months") or 0)
    if n:
        series = series[:n]
    return Data({"series": series}, name="Airline passengers, monthly 1949-1960 (Box-Jenkins Series G)",
                source="Box, Jenkins & Reinsel, Series G; 144 values embedded in trainables/rnn_forecast.py")


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
        pred = scaler.inverse(model(torch.from_numpy(x)).numpy())
    err = pred - y_true_units
    return float(np.sqrt(np.mean(err ** 2))), float(np.mean(np.abs(err))), pred


def train_forecaster(config: dict, session: Session | None = None, data=None) -> Session:
    config = {**DEFAULTS, **config}
    session = session or LocalSession()
    apply_threads(session)
    series = np.asarray((data if data is not None else load_airline(config)).arrays["series"], np.float32)
    w = int(config["window"])
    n_train, n_val_end = split_points(len(series), int(config["val_months"]), int(config["test_months"]))
    scaler = MinMax(series[:n_train])
    z = scaler(series)
    x_tr, y_tr = windows(z, w, 0, n_train)
    x_va, _ = windows(z, w, n_train, n_val_end)
    x_te, _ = windows(z, w, n_val_end, len(series))
    y_va_units, y_te_units = series[n_train:n_val_end], series[n_val_end:]

    torch.manual_seed(config["seed"])
    model = RNNForecaster(int(config["hidden"]))
    opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    generator = torch.Generator().manual_seed(config["seed"])
    first_epoch, _ = resume(session, model, opt, generator)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    bs = int(config["batch_size"])
    for epoch in range(first_epoch + 1, config["epochs"] + 1):
        model.train()
        order, total = torch.randperm(len(yt), generator=generator), 0.0
        for i in range(0, len(yt), bs):
            idx = order[i:i + bs]
            loss = nn.functional.mse_loss(model(xt[idx]), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        train_loss = total / len(yt)
        model.eval()
        val_rmse, val_mae, _ = _errors(model, x_va, y_va_units, scaler)
        test_rmse, test_mae, _ = _errors(model, x_te, y_te_units, scaler)
        diverged = not is_finite(train_loss, val_rmse)
        last = epoch == config["epochs"]
        metrics = {"epoch": epoch, "train_loss": train_loss, "val_rmse": val_rmse, "val_mae": val_mae,
                   "test_rmse": test_rmse, "test_mae": test_mae, "diverged": diverged,
                   "done_training": last}
        if last and not diverged:
            metrics["predictions"] = forecast_json(model, z, w, scaler)
        state = training_state(model, opt, generator, epoch, config)
        session.report(metrics, state)
        if diverged:
            break
    return session


def forecast_json(model, z, window, scaler) -> str:
    """One-step-ahead forecasts of every month (null for the first `window`), as a JSON list in
    the series' units: the last epoch's metrics carry it, so the figure needs no other file."""
    x, _ = windows(z, window, 0, len(z))
    with torch.no_grad():
        pred = scaler.inverse(model(torch.from_numpy(x)).numpy())
    values = [None] * window + [round(float(v), 2) for v in pred]
    return json.dumps([None if v is None or not math.isfinite(v) else v for v in values])


# The study contract (checked before a study starts, studies/contract.py): every config key this
# trainable accepts, and the direction of every metric it reports.
train_forecaster.defaults = dict(DEFAULTS)
train_forecaster.metrics = {"train_loss": "min", "val_rmse": "min", "val_mae": "min",
                            "test_rmse": "min", "test_mae": "min"}
