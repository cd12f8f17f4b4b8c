"""Measures that measure what the report claims (issue 13, item 3), as pure functions of arrays.
Which claim each stands for: the `test` of the claims in analysis/report/<study>.py that use it.

Why these: lr_sweep's jitter divided by the epoch's loss grows as the loss falls, whatever the
rate; saturation alone says nothing of realism; BLEU near its floor cannot rank temperatures.
"""
from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------- oscillation and smoothness

def trend(x, window: int) -> np.ndarray:
    """Centred moving average over `window` points (the window shrinks at the ends). Not a running
    median: on a loss that alternates up and down the median follows the zigzag itself."""
    x = np.asarray(x, float)
    half = max(1, int(window)) // 2
    return np.array([x[max(0, i - half):i + half + 1].mean() for i in range(len(x))])


def oscillation(losses, window: int = 9) -> float:
    """Std of the per-batch loss around its moving-average trend: the loss's wobble in loss units,
    not divided by the loss level (a falling loss no longer inflates it)."""
    x = np.asarray(losses, float)
    if len(x) < 3:
        return 0.0
    return float(np.std(x - trend(x, window)))


def oscillation_at_loss(losses, level: float, window: int = 9, span: int = 50) -> float:
    """`oscillation` over the `span` batches from where the trend first falls to `level`: rates
    compared at matched loss. NaN if the trend never gets there."""
    x = np.asarray(losses, float)
    smooth = trend(x, window)
    hit = np.flatnonzero(smooth <= level)
    if not len(hit):
        return float("nan")
    part = x[hit[0]:hit[0] + span]
    return float(np.std(part - smooth[hit[0]:hit[0] + span])) if len(part) >= 3 else float("nan")


def at_level(levels, values, target: float) -> float:
    """`values` (one per epoch, e.g. the per-batch loss's oscillation in that epoch) where the
    per-epoch `levels` (that epoch's mean training loss) first fall to `target`, interpolated
    linearly in log(level) between the two epochs that bracket it: rates compared at a matched
    loss, not at a matched epoch (a faster rate is further along, where the loss's noise is
    smaller). The first epoch's value if it is already below `target`; NaN if never reached."""
    lv, v = np.log(np.asarray(levels, float)), np.asarray(values, float)
    hit = np.flatnonzero(lv <= np.log(target))
    if not len(hit):
        return float("nan")
    i = int(hit[0])
    if i == 0 or lv[i - 1] == lv[i]:
        return float(v[i])
    w = (lv[i - 1] - np.log(target)) / (lv[i - 1] - lv[i])
    return float(v[i - 1] + w * (v[i] - v[i - 1]))


def matched_level(final_levels, start_level: float) -> float:
    """The loss level every trial past its initial plateau reaches: the highest final loss among
    the trials that ended below half of `start_level` (e.g. ln(classes), a uniform guess's loss).
    NaN if none did."""
    past = [x for x in np.asarray(final_levels, float) if np.isfinite(x) and x < start_level / 2]
    return float(max(past)) if past else float("nan")


def roughness_around_trend(curve) -> float:
    """The noise of a per-epoch curve around a smooth trend, whatever its bend: the std of its
    second differences over sqrt(6) (for white noise of std s around any trend that is locally
    straight, a second difference has std s*sqrt(6)). Unlike the spread around one straight line,
    a cosine-annealed curve's smooth bend adds next to nothing. 0 with fewer than 4 points."""
    y = np.asarray(curve, float)
    if len(y) < 4:
        return 0.0
    return float(np.std(np.diff(y, 2)) / np.sqrt(6))


def detrended_std(curve) -> float:
    """Std of a per-epoch curve (val. accuracy or loss) around its least-squares line."""
    y = np.asarray(curve, float)
    if len(y) < 3:
        return 0.0
    t = np.arange(len(y))
    return float(np.std(y - np.polyval(np.polyfit(t, y, 1), t)))


def gap_slope(train, val) -> float:
    """Slope per epoch of the train - val. gap (> 0: widening, about 0: constant)."""
    gap = np.asarray(train, float) - np.asarray(val, float)
    if len(gap) < 2:
        return 0.0
    return float(np.polyfit(np.arange(len(gap)), gap, 1)[0])


def roughness(forecasts) -> float:
    """Std of the month-to-month change of a forecast series (lower: smoother)."""
    return float(np.std(np.diff(np.asarray(forecasts, float))))


def change_tracking(forecasts, actual) -> float:
    """Correlation of the forecast's month-to-month change with the actual change: how well the
    forecast follows short-term moves (1: every move, 0: none)."""
    df, da = np.diff(np.asarray(forecasts, float)), np.diff(np.asarray(actual, float))
    if np.ptp(df) < 1e-12 or np.ptp(da) < 1e-12:  # a straight line (or a flat truth) follows nothing
        return 0.0
    return float(np.corrcoef(df, da)[0, 1])


def first_reach(curve, threshold: float, per_point: int = 1) -> float:
    """Episodes (points x per_point) until `curve` (e.g. the greedy policy's return per block)
    first reaches `threshold`; NaN if it never does (censored)."""
    hit = np.flatnonzero(np.asarray(curve, float) >= threshold)
    return float((hit[0] + 1) * per_point) if len(hit) else float("nan")


# ---------------------------------------------------------------- colour against the truth

def chroma(ab) -> np.ndarray:
    """Per-pixel Lab chroma sqrt(a^2 + b^2) of ab arrays (..., 2) in Lab units."""
    ab = np.asarray(ab, float)
    return np.sqrt((ab ** 2).sum(-1))


def chroma_error(pred_ab, true_ab) -> float:
    """Mean |chroma(pred) - chroma(truth)| per pixel: 0 when every pixel is as colourful as the truth,
    whatever the hue; a grey or a garish output both score badly."""
    return float(np.mean(np.abs(chroma(pred_ab) - chroma(true_ab))))


def ab_distance(pred_ab, true_ab) -> float:
    """Colour-distribution distance: the 1-D Wasserstein distances of the a and of the b values of all
    pixels, summed (Lab units). Compares the palettes, not pixel by pixel; blind to the a-b joint."""
    from scipy.stats import wasserstein_distance
    p, t = np.asarray(pred_ab, float).reshape(-1, 2), np.asarray(true_ab, float).reshape(-1, 2)
    return float(sum(wasserstein_distance(p[:, k], t[:, k]) for k in range(2)))


def edge_energy(ab) -> float:
    """Mean absolute horizontal and vertical difference of a and b in (N, H, W, 2) images: how sharp
    the colour edges are (compare an output's to the truth's)."""
    ab = np.asarray(ab, float)
    return float(np.abs(np.diff(ab, axis=1)).mean() + np.abs(np.diff(ab, axis=2)).mean())


def gradient_magnitude(ab) -> np.ndarray:
    """Per-pixel colour gradient of (N, H, W, 2) a,b images: sqrt of the squared forward differences
    along H and W, summed over a and b, on the (H-1, W-1) pixels that have both."""
    ab = np.asarray(ab, float)
    gy, gx = np.diff(ab, axis=1)[:, :, :-1], np.diff(ab, axis=2)[:, :-1]
    return np.sqrt((gy ** 2 + gx ** 2).sum(-1))


def edge_sharpness(pred_ab, true_ab, share: float = 0.1) -> float:
    """How sharp an output's colour edges are where the truth has them: the mean colour gradient of
    the output over the truth's strongest `share` of pixels by colour gradient, divided by the
    truth's there (1: as sharp as the truth; a blurred output, < 1; 0 for a flat one)."""
    g_true, g_pred = gradient_magnitude(true_ab), gradient_magnitude(pred_ab)
    edges = (g_true >= np.quantile(g_true, 1 - share)) & (g_true > 0)  # flat truth is no edge
    denom = g_true[edges].mean()
    return float(g_pred[edges].mean() / denom) if denom > 0 else float("nan")


# ---------------------------------------------------------------- generated text

def ngrams(tokens, n: int) -> list[tuple]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(samples, n: int = 2) -> float:
    """Distinct n-grams / all n-grams over every sample (token lists): higher is more varied."""
    grams = [g for s in samples for g in ngrams(list(s), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def copy_rate(samples, train_tokens, n: int = 4) -> float:
    """Share of the samples' n-grams that occur in the training tokens: how close to the training
    text the output is."""
    seen = set(ngrams(list(train_tokens), n))
    grams = [g for s in samples for g in ngrams(list(s), n)]
    return sum(g in seen for g in grams) / len(grams) if grams else 0.0


def novel_word_rate(samples, train_vocabulary) -> float:
    """Share of generated words never seen in training."""
    words = [w for s in samples for w in s]
    vocab = set(train_vocabulary)
    return sum(w not in vocab for w in words) / len(words) if words else 0.0
