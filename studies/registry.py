"""Every study, in the report's order: the one list the runner, the report builder, the
console script and the contract tests iterate. A new study is one line here."""
from __future__ import annotations

import importlib

STUDIES = ("regularization", "lr_sweep", "transfer", "window_size", "sentiment", "textgen_temperature",
           "autoencoder_structure", "denoising_loss", "vae_gan", "colorization", "exploration")


def load(name: str):
    """The `Study` of studies/<name>.py (imports its trainable, not Ray)."""
    if name not in STUDIES:
        raise KeyError(f"unknown study {name!r}; known: {', '.join(STUDIES)}")
    return importlib.import_module(f"studies.{name}").STUDY
