"""Figures every study gets (train/validation curves per arm) and the plotting set-up."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on a cluster node or in CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from analysis.summary import Summary  # noqa: E402


def mean_band(frame, x: str, y: str):
    """Mean and min/max over seeds of `y` per `x`."""
    g = frame.groupby(x)[y]
    return g.mean().index.to_numpy(), g.mean().to_numpy(), g.min().to_numpy(), g.max().to_numpy()


PER_ROW = 4  # panels side by side: at the page's width each stays legible


def curves_per_arm(s: Summary, folder: Path, pairs=(("train_acc", "val_acc"), ("train_loss", "val_loss")),
                   name: str = "curves_per_arm.png", labels: dict | None = None) -> Path | None:
    """One panel per arm, PER_ROW to a row: train and validation curves (mean over seeds, band =
    seed range), like the report's appendix figures. The panels of one measure share their y axis
    (an arm's flat line at chance is not magnified into noise); accuracies are in %, as the tables."""
    arms = [a for a in s.arms if not s.curves(a).empty]
    pairs = [p for p in pairs if all(k in s.history for k in p)]
    if not arms or not pairs:
        return None
    labels = labels or {}
    cols = min(PER_ROW, len(arms))
    blocks = -(-len(arms) // cols)  # rows of panels per measure
    fig, axes = plt.subplots(len(pairs) * blocks, cols, figsize=(3.1 * cols, 2.5 * len(pairs) * blocks),
                             squeeze=False, sharex=True)
    for i, pair in enumerate(pairs):
        pct = all("acc" in k for k in pair)
        scale = 100.0 if pct else 1.0
        group = []
        for j, arm in enumerate(arms):
            ax = axes[i * blocks + j // cols][j % cols]
            group.append(ax)
            c = s.curves(arm)
            for key, shown in zip(pair, ("train", "validation")):
                x, m, lo, hi = mean_band(c, "epoch", key)
                ax.plot(x, m * scale, marker="o", ms=2.5, label=shown)
                ax.fill_between(x, lo * scale, hi * scale, alpha=0.2)
            ax.set_title(labels.get(arm, arm), fontsize=10)
            ax.set_ylabel(("accuracy (%)" if pct else pair[0].split("_", 1)[-1]) if j % cols == 0 else "",
                          fontsize=9)
            ax.tick_params(labelsize=8.5)
            ax.legend(fontsize=8)
        lows, highs = zip(*(ax.get_ylim() for ax in group))
        for ax in group:  # one y range for the measure's panels
            ax.set_ylim(min(lows), max(highs))
        for k in range(len(arms), blocks * cols):  # empty slots of the last row
            axes[i * blocks + k // cols][k % cols].set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("epoch", fontsize=9)
    fig.tight_layout()
    return save(fig, folder, name)


def save(fig, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = ["curves_per_arm", "mean_band", "save", "plt", "np"]
