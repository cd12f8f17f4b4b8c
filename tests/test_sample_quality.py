"""Inception Score and Frechet distance on cases with known answers, and the cached classifier."""
import numpy as np
import pytest
import torch

from trainables.sample_quality import (
    DigitClassifier,
    classifier_arrays,
    classifier_from,
    classifier_hash,
    frechet_distance,
    inception_score,
    sample_scores,
)


@pytest.mark.parametrize("classes", [2, 10])
def test_certain_and_uniform_over_classes_gives_the_number_of_classes(classes):
    probs = np.eye(classes)[np.arange(classes * 50) % classes]  # one-hot, every class equally often
    mean, std = inception_score(probs, splits=5)
    assert mean == pytest.approx(classes, rel=1e-6)
    assert std == pytest.approx(0.0, abs=1e-6)


def test_all_samples_of_one_class_give_one():
    probs = np.zeros((100, 10))
    probs[:, 3] = 1.0
    assert inception_score(probs, splits=10)[0] == pytest.approx(1.0)
    # uncertain but identical predictions say nothing about the sample either: IS = 1
    assert inception_score(np.full((100, 10), 0.1), splits=4)[0] == pytest.approx(1.0)


def test_splits_give_a_spread_and_the_known_value_of_a_mixed_case():
    # half the samples certain of class 0, half uniform over 2 classes: KL = log 2 - ... by hand
    p = np.array([[1.0, 0.0]] * 50 + [[0.5, 0.5]] * 50)
    p_y = p.mean(0)  # (0.75, 0.25)
    kl_certain = np.log(1 / 0.75)
    kl_uniform = 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)
    expected = np.exp(0.5 * kl_certain + 0.5 * kl_uniform)
    assert inception_score(p, splits=1)[0] == pytest.approx(expected)
    mean, std = inception_score(p, splits=2)  # each split is pure: IS 1 in both
    assert (mean, std) == pytest.approx((1.0, 0.0))
    with pytest.raises(ValueError):
        inception_score(np.ones((3, 10)) / 10, splits=10)


def test_frechet_distance_known_cases():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2000, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = np.array([1.0, 2.0, 0.0, -2.0])
    assert frechet_distance(a, a + shift) == pytest.approx(9.0, rel=1e-6)
    # diagonal covariances: sum of (sqrt(s1) - sqrt(s2))^2
    b = rng.normal(size=(50_000, 2)) * np.array([1.0, 3.0])
    c = rng.normal(size=(50_000, 2)) * np.array([2.0, 3.0])
    assert frechet_distance(b, c) == pytest.approx(1.0, abs=0.05)


def test_classifier_is_trained_once_cached_and_restored_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path))
    rng = np.random.default_rng(0)
    y = np.arange(200) % 2
    x = np.zeros((200, 1, 28, 28), np.uint8)
    x[y == 0, :, :, :14] = 255  # class 0: left half lit; class 1: right half
    x[y == 1, :, :, 14:] = 255
    x = np.clip(x.astype(int) + rng.integers(0, 40, x.shape), 0, 255).astype(np.uint8)
    first = classifier_arrays(x[:150], y[:150], x[150:], y[150:], epochs=3)
    assert float(first["clf_test_acc"]) > 0.9
    assert len(list(tmp_path.glob("digit_classifier_*.npz"))) == 1
    again = classifier_arrays(x[:150], y[:150], x[150:], y[150:], epochs=3)
    assert classifier_hash(again) == classifier_hash(first) and len(classifier_hash(first)) == 16
    clf = classifier_from(first)
    assert isinstance(clf, DigitClassifier)
    samples = torch.tensor(x[150:]).float() / 255
    probs, feats = clf.probs_and_features(samples)
    assert probs.shape == (50, 2) and feats.shape == (50, 64)
    assert (probs.argmax(1) == y[150:]).mean() == pytest.approx(float(first["clf_test_acc"]))
    # real images against themselves: Frechet 0; one class only: IS near 1, both classes: near 2
    scores = sample_scores(clf, samples, feats, splits=5)
    assert scores["frechet"] == pytest.approx(0.0, abs=1e-3)
    assert 1.5 < scores["is_mean"] <= 2.0
    assert sample_scores(clf, samples[y[150:] == 0], feats, splits=5)["is_mean"] < 1.2
