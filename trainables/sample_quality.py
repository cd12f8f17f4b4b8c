"""Sample quality of generated digits: Inception Score and a Frechet distance, both computed with
a digit classifier instead of Inception-v3 (no Inception weights can be had offline, and for
digits a digit classifier is the usual choice). The scale therefore differs from an
Inception-v3 IS: at most the number of classes (10), reached by confident, class-balanced samples.

The classifier is trained once per dataset and settings, kept in the data cache under a file
lock (`trainables.data.cache.cached_arrays`), and travels to the trials inside the study's `Data`, so
every trial of a study scores its samples with the very same weights (their hash is in the
manifest with the classifier's own test accuracy).
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy import linalg

from trainables.data.cache import cached_arrays, digest

CLF_PREFIX = "clf/"   # classifier weights inside a Data's arrays
ARCH = "c16c32f64"    # in the cache key: a changed architecture never loads old weights


# ---------------------------------------------------------------- the scores

def inception_score(probs: np.ndarray, splits: int = 10, eps: float = 1e-12) -> tuple[float, float]:
    """IS = exp(E_x[KL(p(y|x) || p(y))]) from class probabilities `probs` (N x classes), computed
    in `splits` equal parts (p(y) is each part's mean); returns the mean and std over parts."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) < splits:
        raise ValueError(f"need an (N, classes) array with N >= splits={splits}, got {probs.shape}")
    scores = []
    for part in np.array_split(probs, splits):
        p_y = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + eps) - np.log(p_y + eps))).sum(axis=1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) of two feature sets (rows: samples)."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # a singular product is handled below
        warnings.simplefilter("ignore")
        covmean = linalg.sqrtm(s_a @ s_b)
    if not np.isfinite(covmean).all():  # near-singular product: nudge both diagonals
        off = np.eye(len(s_a)) * 1e-6
        covmean = linalg.sqrtm((s_a + off) @ (s_b + off))
    covmean = np.real(covmean)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(covmean))


# ---------------------------------------------------------------- the classifier

class DigitClassifier(nn.Module):
    """Two strided conv blocks, a 64-unit feature layer (the Frechet features), then the classes."""

    def __init__(self, in_channels: int = 1, classes: int = 10, features: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(32 * 49, features), nn.ReLU())
        self.head = nn.Linear(features, classes)

    def forward(self, x):
        return self.head(self.body(x))

    @torch.no_grad()
    def probs_and_features(self, x: torch.Tensor, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities and features of float images in [0, 1]."""
        self.eval()
        device = next(self.parameters()).device
        probs, feats = [], []
        for i in range(0, len(x), batch):
            f = self.body(x[i:i + batch].to(device))
            probs.append(F.softmax(self.head(f), 1).cpu().numpy())
            feats.append(f.cpu().numpy())
        return np.concatenate(probs), np.concatenate(feats)


def _train_classifier(x_train, y_train, x_test, y_test, epochs: int, seed: int) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    classes = int(max(y_train.max(), y_test.max()) + 1)
    model = DigitClassifier(x_train.shape[1], classes)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    x, y = torch.tensor(x_train).float() / 255, torch.tensor(y_train)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y), generator=g)
        for i in range(0, len(y), 64):
            idx = order[i:i + 64]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    probs, _ = model.probs_and_features(torch.tensor(x_test).float() / 255)
    acc = float((probs.argmax(1) == y_test).mean())
    arrays = {CLF_PREFIX + k: v.cpu().numpy() for k, v in model.state_dict().items()}
    arrays["clf_test_acc"] = np.array(acc)
    return arrays


def classifier_arrays(x_train, y_train, x_test, y_test, epochs: int = 3, seed: int = 0) -> dict[str, np.ndarray]:
    """The trained classifier's weights (keys `clf/...`) and its test accuracy (`clf_test_acc`),
    built once per node for this data and these settings, under the cache's file lock."""
    data = digest({"x": x_train, "y": y_train, "xt": x_test, "yt": y_test})
    key = f"digit_classifier_{ARCH}_{data}_e{epochs}_s{seed}"
    return cached_arrays(key, lambda: _train_classifier(x_train, y_train, x_test, y_test, epochs, seed))


def classifier_from(arrays: dict[str, np.ndarray]) -> DigitClassifier:
    state = {k[len(CLF_PREFIX):]: torch.tensor(np.array(v)) for k, v in arrays.items() if k.startswith(CLF_PREFIX)}
    model = DigitClassifier(state["body.0.weight"].shape[1], state["head.weight"].shape[0],
                            state["head.weight"].shape[1])
    model.load_state_dict(state)
    return model.eval()


def classifier_hash(arrays: dict[str, np.ndarray]) -> str:
    return digest({k: v for k, v in arrays.items() if k.startswith(CLF_PREFIX)})


def sample_scores(clf: DigitClassifier, samples: torch.Tensor, real_features: np.ndarray,
                  splits: int = 10) -> dict[str, float]:
    """IS (mean, std over splits) and the Frechet distance to real images' features, of float
    samples in [0, 1]."""
    probs, feats = clf.probs_and_features(samples)
    is_mean, is_std = inception_score(probs, splits)
    return {"is_mean": is_mean, "is_std": is_std, "frechet": frechet_distance(feats, real_features)}
