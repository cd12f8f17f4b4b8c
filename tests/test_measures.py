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


def per_epoch(batches, per=200):
    """Each epoch's mean loss and the oscillation of its batches (what trainables/cnn.py reports)."""
    chunks = [batches[i:i + per] for i in range(0, len(batches), per)]
    return np.array([c.mean() for c in chunks]), np.array([m.oscillation(c) for c in chunks])


def test_oscillation_at_a_matched_loss_level_is_equal_where_the_noise_is_equal():
    """Two rates whose per-batch noise is the same at the same loss (10% of the loss level), one
    training three times as fast: averaged over epochs the faster one looks calmer (its loss is lower
    for longer); at a matched level the two are equal."""
    rng = np.random.default_rng(0)
    t = np.arange(8 * 200)
    level = {name: 0.3 + 2.0 * np.exp(-t / tau) for name, tau in (("slow", 800.0), ("fast", 267.0))}
    noisy = {k: v * (1 + 0.1 * rng.standard_normal(len(t))) for k, v in level.items()}
    curves = {k: per_epoch(v) for k, v in noisy.items()}
    averaged = {k: c[1].mean() for k, c in curves.items()}
    assert averaged["fast"] < 0.8 * averaged["slow"]           # the old measure: progress, not noise
    target = m.matched_level([c[0][-1] for c in curves.values()], np.log(10))
    matched = {k: m.at_level(c[0], c[1], target) for k, c in curves.items()}
    assert matched["fast"] == pytest.approx(matched["slow"], rel=0.15)
    # a level a curve never reaches leaves it out; one below its first epoch is that epoch's value
    assert np.isnan(m.at_level([2.0, 1.5], [0.1, 0.2], 1.0))
    assert m.at_level([0.5, 0.4], [0.1, 0.2], 1.0) == 0.1
    assert m.at_level([2.0, 1.0], [0.1, 0.3], np.sqrt(2.0)) == pytest.approx(0.2)  # halfway in log
    assert m.matched_level([2.2, 0.9, 0.6], np.log(10)) == 0.9   # 2.2: still on its plateau


def test_roughness_ignores_a_smooth_bend_that_a_straight_line_calls_noise():
    e = np.arange(20)
    cosine_like = 0.5 + 0.2 * (1 - np.cos(np.pi * e / 19))      # a smooth S-bend, no noise
    zigzag = 0.7 + 0.01 * np.where(e % 2 == 0, 1, -1)            # flat, +-0.01 every epoch
    assert m.detrended_std(cosine_like) > m.detrended_std(zigzag)   # the old measure: the bend is "noisier"
    assert m.roughness_around_trend(cosine_like) < 0.2 * m.roughness_around_trend(zigzag)
    noise = np.random.default_rng(1).normal(0, 0.02, 2000)
    assert m.roughness_around_trend(cosine_like.repeat(100) + noise) == pytest.approx(0.02, rel=0.1)


def test_edge_sharpness_of_a_blurred_and_a_faithful_output():
    truth = np.zeros((4, 16, 16, 2))
    truth[:, :, 8:, 0] = 40.0                                  # a sharp a-edge down the middle
    blurred = truth.copy()
    blurred[:, :, 6:10, 0] = np.linspace(0, 40, 6)[1:5]          # the same edge spread over 5 pixels
    assert m.edge_sharpness(truth, truth) == pytest.approx(1.0)
    assert m.edge_sharpness(np.zeros_like(truth), truth) == 0.0
    assert 0.1 < m.edge_sharpness(blurred, truth) < 0.5
