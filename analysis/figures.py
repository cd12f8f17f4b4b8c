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


def curves_per_arm(s: Summary, folder: Path, pairs=(("train_acc", "val_acc"), ("train_loss", "val_loss")),
                   name: str = "curves_per_arm.png") -> Path | None:
    """One panel per arm: train and validation curves (mean over seeds, band = seed range),
    like the report's appendix figures."""
    arms = [a for a in s.arms if not s.curves(a).empty]
    pairs = [p for p in pairs if all(k in s.history for k in p)]
    if not arms or not pairs:
        return None
    fig, axes = plt.subplots(len(pairs), len(arms), figsize=(3.2 * len(arms), 2.8 * len(pairs)),
                             squeeze=False, sharex=True)
    for j, arm in enumerate(arms):
        c = s.curves(arm)
        for i, pair in enumerate(pairs):
            ax = axes[i][j]
            for key in pair:
                x, m, lo, hi = mean_band(c, "epoch", key)
                ax.plot(x, m, marker="o", ms=3, label=key)
                ax.fill_between(x, lo, hi, alpha=0.2)
            ax.set_title(arm if i == 0 else "", fontsize=9)
            ax.set_xlabel("epoch")
            ax.legend(fontsize=7)
    fig.tight_layout()
    return save(fig, folder, name)


def save(fig, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = ["curves_per_arm", "mean_band", "save", "plt", "np"]
