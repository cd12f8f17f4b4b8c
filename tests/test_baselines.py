"""Trivial baselines (analysis/baselines.py) on tiny synthetic data whose answers are known. Ray-free."""
from types import SimpleNamespace

import numpy as np
import pytest

from analysis import baselines as b
from analysis.report import spec_for
from studies.registry import STUDIES


def data(**arrays):
    return SimpleNamespace(arrays=arrays)


def test_every_study_has_a_baseline_beside_its_table():
    for study in STUDIES:
        spec = spec_for(study)
        assert callable(spec.baselines), study
        # without the columns its rows stand beside, the table would drop every baseline row
        assert callable(spec.baseline_columns) or any(spec.baseline_columns.values()), study
    from dataclasses import replace
    with pytest.raises(KeyError, match="no baseline for study 'lr_sweep'"):
        b.baselines(replace(spec_for("lr_sweep"), baselines=None), data())


def test_majority_class():
    assert b.majority([0, 1, 1, 2], [1, 1, 0, 2, 1]) == pytest.approx(3 / 5)
    assert b.majority([3, 3, 5, 5], [3, 5]) == 0.5  # tie: the lowest label


def test_persistence_of_a_linear_ramp():
    ramp = np.arange(30, dtype=float) * 2.0 + 5.0        # every step +2: persistence is off by 2
    pred = b.persistence(ramp, 20)
    assert b.forecast_errors(pred, ramp[20:]) == {"test_rmse": pytest.approx(2.0), "test_mae": pytest.approx(2.0)}


def test_seasonal_growth_is_exact_on_a_growing_season():
    season = np.array([1, 3, 2, 5, 4, 6, 7, 5, 3, 2, 4, 6], float)
    series = np.concatenate([season * 1.1 ** k for k in range(4)])   # 10% growth a year, same shape
    pred = b.seasonal_growth(series, 24)
    assert b.forecast_errors(pred, series[24:])["test_rmse"] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        b.seasonal_growth(series, 12)


def test_window_size_uses_the_study_test_months():
    series = np.arange(48, dtype=float)
    rows = b.baselines(spec_for("window_size"), data(series=series), {"test_months": 6})
    assert rows[0]["test_rmse"] == pytest.approx(1.0)                     # persistence on a unit ramp
    assert rows[1]["test_mae"] == pytest.approx(np.mean(np.abs(
        series[42 - 12:48 - 12] * series[41:47] / series[41 - 12:47 - 12] - series[42:])))


def test_logistic_regression_separates_and_never_sees_the_eval_labels_for_C():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = (x[:, 0] > 0).astype(int)
    x_eval = rng.normal(size=(100, 5))
    y_eval = (x_eval[:, 0] > 0).astype(int)
    good = b.logistic_regression(x, y, x_eval, y_eval)
    assert good["acc"] > 0.9
    flipped = b.logistic_regression(x, y, x_eval, 1 - y_eval)        # eval labels only score, never pick
    assert flipped["C"] == good["C"] and flipped["acc"] == pytest.approx(1 - good["acc"])


def test_image_classification_rows():
    rng = np.random.default_rng(1)
    def images(n):  # class 1 images are bright on the left half, class 0 on the right
        y = rng.integers(0, 2, n)
        x = rng.integers(0, 60, (n, 1, 4, 4)).astype(np.uint8)
        x[y == 1, :, :, :2] += 150
        x[y == 0, :, :, 2:] += 150
        return x, y
    (xt, yt), (xv, yv), (xe, ye) = images(120), images(40), images(40)
    rows = b.baselines(spec_for("transfer"), data(x_train=xt, y_train=yt, x_val=xv, y_val=yv, x_test=xe, y_test=ye))
    assert rows[0]["test_acc"] == b.majority(yt, ye)
    assert rows[1]["test_acc"] == 1.0 and "logistic regression" in rows[1]["name"]
    rows = b.baselines(spec_for("lr_sweep"), data(x_train=xt, y_train=yt, x_val=xv, y_val=yv))
    assert rows[1]["val_acc"] == 1.0 and "20% of train" in rows[1]["name"]


def test_bag_of_words_counts_and_sentiment_rows():
    ids = np.array([[2, 3, 2, 0], [4, 0, 0, 0]])
    assert b.bag_of_words(ids, 5).toarray().tolist() == [[0, 0, 2, 1, 0], [0, 0, 0, 0, 1]]
    rng = np.random.default_rng(2)
    def split(n):  # word 2 means positive, word 3 negative, words 4-9 are noise
        y = rng.integers(0, 2, n)
        x = rng.integers(4, 10, (n, 6))
        x[:, 0] = np.where(y == 1, 2, 3)
        return x, y
    (xt, yt), (xv, yv), (xe, ye) = split(100), split(30), split(30)
    rows = b.baselines(spec_for("sentiment"), data(x_train=xt, y_train=yt, x_val=xv, y_val=yv, x_test=xe, y_test=ye))
    assert rows[0]["test_acc"] == b.majority(yt, ye)
    assert rows[1]["test_acc"] == 1.0 and rows[1]["name"].startswith("reference (not trivial)")


def test_mean_image_and_identity_mse():
    x_train = np.array([[[[0, 255]]], [[[255, 255]]]], np.uint8)       # mean image [0.5, 1.0]
    x_val = np.array([[[[255, 0]]]], np.uint8)                          # errors 0.5 and 1.0
    assert b.mean_image_mse(x_train, x_val) == pytest.approx((0.25 + 1.0) / 2)
    rows = b.baselines(spec_for("denoising_loss"), data(x_train=x_train, x_val=x_val), {"noise": 0.0})
    assert rows[1]["val_mse"] == 0.0                                    # no noise: the input is the answer
    zeros = np.zeros((50, 1, 8, 8), np.uint8)
    rows = b.baselines(spec_for("denoising_loss"), data(x_train=zeros, x_val=zeros), {"noise": 0.5, "eval_seed": 3})
    # clipped at 0: half of N(0, 0.25) survives, E[max(0, z)^2] = 0.25 / 2
    assert rows[1]["val_mse"] == pytest.approx(0.125, rel=0.1)


def test_colorization_mean_colour_is_exact_on_one_colour():
    red = np.zeros((4, 3, 2, 2), np.uint8)
    red[:, 0] = 200
    rows = b.baselines(spec_for("colorization"), data(x_train=red, x_val=red[:0], x_test=red))  # scored on x_test
    assert rows[0]["test_mae"] == pytest.approx(0.0, abs=2e-3)     # the mean colour is the colour
    assert rows[0]["chroma"] == pytest.approx(rows[0]["chroma_truth"], rel=1e-3)
    assert rows[0]["chroma_error"] == pytest.approx(0.0, abs=1e-3) and rows[0]["ab_distance"] < 1e-3
    assert rows[1]["test_mae"] > 0.1 and rows[1]["chroma"] == 0.0  # grey is far from red
    assert rows[1]["chroma_error"] == pytest.approx(rows[1]["chroma_truth"], rel=1e-6)


def test_unigram_sampler_scores_with_the_study_bleu():
    words = ("the cat sat on the mat and the dog sat on the log " * 40).strip()
    config = {"prompts": 5, "prompt_words": 3, "continuation_words": 6, "samples_per_prompt": 2,
              "temperatures": [0.01, 1.0], "word_vocab": 2}              # vocab 2: only "the"
    out = b.unigram_bleu(words, words, config)
    assert set(out) == {"bleu_t001", "bleu_t100", "bleu_mean"}
    assert out["bleu_t001"] == out["bleu_t100"] and 0 < out["bleu_t001"] < 0.2   # "the the the ..."
    ppl = b.unigram_perplexity("a a b", "a b")
    assert ppl == pytest.approx(1 / np.sqrt((3 / 6) * (2 / 6)))        # add-one: a 3/6, b 2/6


def test_random_and_constant_policies_on_cartpole():
    rows = b.random_and_constant("CartPole-v1", episodes=5, max_steps=50)
    random_return, constant_return = rows[0]["mean_return"], rows[1]["mean_return"]
    assert 8 <= constant_return <= 11          # always pushing one way: the pole falls in ~9-10 steps
    assert random_return > constant_return and random_return <= 50
