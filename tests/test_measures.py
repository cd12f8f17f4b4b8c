"""Measures of analysis/measures.py on series and images whose answers are known. Ray-free."""
import numpy as np
import pytest

from trainables import measures as m


def test_oscillation_ignores_the_loss_level():
    t = np.arange(400)
    wobble = 0.05 * np.where(t % 2 == 0, 1.0, -1.0)      # +-0.05 around the trend, at every level
    falling = np.exp(-t / 100) + 0.1
    assert m.oscillation(falling + wobble) == pytest.approx(0.05, rel=0.15)
    assert m.oscillation(falling) < 0.005                 # a smooth fall has no oscillation
    # the old jitter (std of the step change / mean loss) grows as the loss falls; this does not
    low = falling[300:] + wobble[300:]
    high = falling[:100] + wobble[:100]
    assert abs(m.oscillation(low) - m.oscillation(high)) < 0.01
    assert np.std(np.diff(low)) / low.mean() > 2 * np.std(np.diff(high)) / high.mean()


def test_oscillation_at_matched_loss():
    t = np.arange(300)
    calm = np.exp(-t / 30) + 0.02 * np.where(t % 2 == 0, 1, -1)
    wild = np.exp(-t / 10) + 0.2 * np.where(t % 2 == 0, 1, -1)
    assert m.oscillation_at_loss(wild, 0.3) > 5 * m.oscillation_at_loss(calm, 0.3)
    assert np.isnan(m.oscillation_at_loss(calm + 5, 0.3))    # never gets there


def test_detrended_std_and_gap_slope():
    assert m.detrended_std(np.linspace(0.5, 0.9, 10)) == pytest.approx(0.0, abs=1e-12)
    zigzag = np.linspace(0.5, 0.9, 10) + 0.03 * np.array([1, -1] * 5)
    assert m.detrended_std(zigzag) == pytest.approx(0.03, rel=0.1)
    train = np.linspace(0.6, 0.99, 8)
    assert m.gap_slope(train, train - 0.05) == pytest.approx(0.0, abs=1e-12)        # constant gap
    assert m.gap_slope(train, np.full(8, 0.6)) == pytest.approx(0.39 / 7)          # widening


def test_forecast_roughness_and_tracking():
    actual = np.array([1, 3, 2, 5, 4, 6], float)
    assert m.change_tracking(actual + 10, actual) == pytest.approx(1.0)
    assert m.change_tracking(np.linspace(1, 6, 6), actual) == 0.0                  # a straight line follows nothing
    assert m.roughness(np.linspace(1, 6, 6)) == pytest.approx(0.0, abs=1e-12)
    assert m.roughness(actual) > 1


def test_first_reach():
    assert m.first_reach([0, 0.1, 0.5, 0.2, 0.9], 0.4, per_point=10) == 30
    assert np.isnan(m.first_reach([0, 0.1], 0.4))


def test_colour_measures_against_the_truth():
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 20, (4, 8, 8, 2))
    grey = np.zeros_like(truth)
    assert m.chroma_error(truth, truth) == 0.0 and m.ab_distance(truth, truth) == pytest.approx(0.0)
    assert m.chroma_error(grey, truth) == pytest.approx(m.chroma(truth).mean())
    garish = truth * 3                                      # too saturated: worse, though more "colourful"
    assert m.ab_distance(garish, truth) > m.ab_distance(truth * 1.1, truth)
    assert m.chroma_error(garish, truth) > m.chroma_error(truth * 1.1, truth)
    flat = np.broadcast_to(truth.mean((1, 2), keepdims=True), truth.shape)
    assert m.edge_energy(flat) == 0.0 < m.edge_energy(truth)


def test_text_measures():
    assert m.distinct_n([["a", "b", "a", "b"]], 2) == pytest.approx(2 / 3)   # ab, ba, ab
    assert m.distinct_n([["a", "a"], ["a", "a"]], 1) == 0.25
    train = "the cat sat on the mat".split()
    assert m.copy_rate([["the", "cat", "sat"]], train, 2) == 1.0
    assert m.copy_rate([["mat", "the", "cat"]], train, 2) == 0.5
    assert m.novel_word_rate([["the", "dog"]], set(train)) == 0.5
