"""The window-size study (Figure 3): the smoke profile through real Ray Tune, and the forecaster's
honest split in time without Ray."""
import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import check_findings
from trainables.data.airline import AIRLINE_PASSENGERS, load_airline
from trainables.rnn_forecast import LogDiff, MinMax, split_points, train_forecaster, windows
from trainables.session import LocalSession


@pytest.fixture(scope="module")
def window_run(smoke_run):
    return smoke_run("window_size")


def test_test_errors_over_two_seeds_per_window(window_run):
    csv = pd.read_csv(window_run / "table.csv")
    csv = csv[csv["kind"] == "arm"].set_index("arm")
    assert (csv["final_test_rmse_n"] == 2).all()  # two seeds per window
    assert (csv["final_test_rmse_mean"] >= csv["final_test_mae_mean"]).all()  # RMSE >= MAE always
    assert (csv["final_test_rmse_mean"] > 0).all()
    found = check_findings(window_run, seeds=2)  # judged over the two seeds, paired
    assert any(f.n_seeds == 2 and f.effect is not None for f in found.values())


def test_every_trial_leaves_its_forecast_at_the_last_epoch(window_run):
    trials = pd.read_parquet(window_run / "trials.parquet")
    history = pd.read_parquet(window_run / "history.parquet")
    assert sorted(trials["config/window"].unique()) == [1, 3, 6, 12]
    last = history.dropna(subset=["predictions"])
    assert len(last) == len(trials) and (last["epoch"] == 4).all()
    for _, row in last.iterrows():
        window = int(trials.set_index("trial_id").loc[row["trial_id"], "config/window"])
        pred = json.loads(row["predictions"])
        assert len(pred) == 144 and pred[:window] == [None] * window and None not in pred[window:]


def test_findings_and_the_forecast_figure(window_run):
    found = list(check_findings(window_run, seeds=2).values())
    # RMSE: 4 + 3 pairs of windows and 1 vs 3 (TOST), each paired over the two seeds; then the forecasts'
    # roughness (a trend over windows, then 12 vs the rest) and change tracking (1 and 3 vs 12)
    assert [len(f.comparisons) for f in found] == [4, 3, 1, 1, 3, 2]
    paired = [c for i, f in enumerate(found) if i != 3 for c in f.comparisons]
    # paired over the seeds; where the windows share their noise, with the pooled residual variance
    assert all(c.method.startswith("paired t, 2 shared seeds") for c in paired)
    assert found[3].comparisons[0].fisher and found[3].n_seeds == 2
    assert (window_run / "figures" / "forecasts_per_window.png").stat().st_size > 20_000


def test_the_embedded_series_is_box_jenkins_series_g():
    s = np.asarray(AIRLINE_PASSENGERS)
    assert len(s) == 144 and s.sum() == 40363 and s[0] == 112 and s[-1] == 432 and s.max() == 622
    assert load_airline({"max_months": 60}).arrays["series"].shape == (60,)


def test_the_split_is_honest_in_time():
    series = np.asarray(AIRLINE_PASSENGERS, np.float32)
    n_train, n_val_end = split_points(144, 12, 24)
    assert (n_train, n_val_end) == (108, 120)
    scaler = MinMax(series[:n_train])  # fitted on training months only
    z = scaler(series)
    assert z[:n_train].min() == 0 and z[:n_train].max() == 1
    assert z[n_val_end:].max() > 1  # the test months lie above the training range: no peeking
    for w in (1, 3, 6, 12):
        x, y = windows(z, w, 0, n_train)
        assert x.shape == (n_train - w, w, 1)
        np.testing.assert_array_equal(y, z[w:n_train])  # training targets never reach validation
        np.testing.assert_array_equal(x[-1, :, 0], z[n_train - 1 - w:n_train - 1])
        xt, yt = windows(z, w, n_val_end, 144)
        assert len(yt) == 24 and np.array_equal(yt, z[n_val_end:])


def test_training_without_ray_learns_and_resumes(tmp_path):
    config = {"window": 3, "epochs": 30, "lr": 1e-2, "hidden": 8, "seed": 1}
    unbroken = train_forecaster(config, LocalSession(threads=1)).history
    assert unbroken[-1]["train_loss"] < unbroken[0]["train_loss"] / 2
    assert unbroken[-1]["done_training"] and "predictions" in unbroken[-1]
    train_forecaster({**config, "epochs": 10}, LocalSession(tmp_path, threads=1))
    resumed = train_forecaster(config, LocalSession(tmp_path, threads=1)).history
    assert resumed[0]["epoch"] == 11
    assert resumed[-1]["test_rmse"] == pytest.approx(unbroken[-1]["test_rmse"], rel=1e-4)


def test_log_diff_is_fitted_on_training_months_and_inverts_to_the_series():
    series = np.asarray(AIRLINE_PASSENGERS, np.float64)
    tf = LogDiff(series, 108)
    months = np.arange(1, 144)
    assert len(tf.z) == 143 and tf.z[:107].min() == 0 and tf.z[:107].max() == 1
    np.testing.assert_allclose(tf.to_units(tf.z, months), series[1:], rtol=1e-5)  # z[j] is month j+1
    # a forecast of "no change" is persistence; later months never move the scaling
    no_change = tf.scaler(0.0)
    np.testing.assert_allclose(tf.to_units(np.full(24, no_change), np.arange(120, 144)), series[119:143])
    changed = series.copy()
    changed[108:] *= 3
    assert LogDiff(changed, 108).scaler.__dict__ == tf.scaler.__dict__


def test_log_diff_lets_a_yearly_window_extrapolate_the_growth():
    """Min-max scaled, the test years lie above every training value and window 12 ends near
    persistence (RMSE 39-48 here); log-differenced it tracks them (about 18, seasonal-naive x
    growth: 19.7, persistence: 51.8)."""
    config = {"window": 12, "epochs": 200, "lr": 1e-3, "seed": 0}
    last = train_forecaster({**config, "transform": "log_diff"}, LocalSession(threads=1)).history[-1]
    assert last["test_rmse"] < 25
    forecast = json.loads(last["predictions"])
    assert forecast[:13] == [None] * 13 and all(v is not None for v in forecast[13:]) and len(forecast) == 144
