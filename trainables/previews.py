"""Small uint8 images of what a model makes (reconstructions, samples, colourisations, forecasts),
for TensorBoard's Images tab. Ray-free: a trainable hands them to `Run.report(images=...)`, which
keeps them at a few epochs only (`image_epochs`); how they reach TensorBoard is the session's job.

Every image is (H, W, C) uint8 with C in (1, 3) and at most MAX_PIXELS pixels: previews, never data.
"""
from __future__ import annotations

import re

import numpy as np

MAX_PIXELS = 512 * 512
TAG = re.compile(r"[a-z][a-z0-9_]*$")  # plain names: npz members and TensorBoard tags alike


def image_epochs(total: int) -> set[int]:
    """The first, a middle and the last epoch."""
    total = max(int(total), 1)
    return {1, (total + 1) // 2, total}


def to_uint8(x) -> np.ndarray:
    """Floats in [0, 1] (torch or numpy) or uint8, as uint8."""
    x = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x)
    if x.dtype == np.uint8:
        return x
    return np.round(np.clip(np.nan_to_num(x.astype(np.float32)), 0.0, 1.0) * 255).astype(np.uint8)


def _nhwc(batch) -> np.ndarray:
    """(N, H, W), (N, C, H, W) or (N, H, W, C) with C in (1, 3) as uint8 (N, H, W, C)."""
    x = to_uint8(batch)
    if x.ndim == 3:
        return x[..., None]
    if x.ndim == 4 and x.shape[1] in (1, 3) and x.shape[-1] not in (1, 3):
        return x.transpose(0, 2, 3, 1)
    if x.ndim == 4 and x.shape[-1] in (1, 3):
        return x
    raise ValueError(f"a batch of images has shape (N, H, W[, C]), not {x.shape}")


def grid(*rows, cols: int = 8, pad: int = 1) -> np.ndarray:
    """One image: each batch in `rows` laid out `cols` to a row (a long batch wraps), the batches
    one under the other (inputs, outputs, targets of the same examples line up), grey ones as RGB
    when any batch has colour."""
    batches = [_nhwc(r) for r in rows]
    channels = max(b.shape[-1] for b in batches)
    h, w = batches[0].shape[1:3]
    lines = []
    for b in batches:
        if b.shape[1:3] != (h, w):
            raise ValueError(f"images of {b.shape[1:3]} and {(h, w)} in one grid")
        b = np.repeat(b, channels, axis=-1) if b.shape[-1] != channels else b
        for i in range(0, len(b), cols):
            line = np.zeros((h + pad, cols * (w + pad), channels), np.uint8)
            for j, img in enumerate(b[i:i + cols]):
                line[pad:, j * (w + pad) + pad:(j + 1) * (w + pad)] = img
            lines.append(line)
    return np.concatenate(lines, axis=0)


def sample_grid(samples: dict, keys=("input", "output", "target"), cols: int = 10) -> np.ndarray:
    """The same examples' batches under one another: a row each of inputs, outputs and targets."""
    return grid(*(samples[k] for k in keys), cols=min(cols, len(samples[keys[0]])))


def forecast_plot(series, forecast, marks=(), size=(4.0, 2.4), dpi: int = 80) -> np.ndarray:
    """The series and a forecast (None where there is none) as an RGB image; `marks`: months
    where a split begins (validation, test), drawn as dashed lines."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi)  # no pyplot: no global state, no display needed
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(np.asarray(series, float), color="0.4", lw=1, label="series")
    ax.plot(np.asarray([np.nan if v is None else v for v in forecast], float), color="C1", lw=1,
            label="forecast")
    for m in marks:
        ax.axvline(m, color="0.6", ls="--", lw=0.8)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    ax.tick_params(labelsize=7)
    fig.tight_layout(pad=0.3)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def check(images: dict) -> dict:
    """`images` as {tag: (H, W, C) uint8}; a ValueError of one line for anything else."""
    out = {}
    for tag, img in images.items():
        img = np.asarray(img)
        if not TAG.match(tag):
            raise ValueError(f"image tag {tag!r}: lower-case letters, digits and _ only")
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[-1] not in (1, 3):
            raise ValueError(f"image {tag!r}: (H, W, 1 or 3) uint8, not {img.dtype} {img.shape}")
        if img.shape[0] * img.shape[1] > MAX_PIXELS:
            raise ValueError(f"image {tag!r}: {img.shape[0]}x{img.shape[1]} is over {MAX_PIXELS} pixels")
        out[tag] = np.ascontiguousarray(img)
    return out
