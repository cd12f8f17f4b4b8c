"""BatchNorm running statistics as the plain average over one pass, not a decaying average.

A decaying average (momentum 0.1) describes the last ~10 batches: the weights of a few steps ago
(a network training fast from random weights) or whichever images came last (a small, mixed
training set). Averaged over a whole pass under fixed or slowly moving weights, the statistics are
those evaluation should use."""
from __future__ import annotations

import contextlib

import torch.nn as nn


def bn_layers(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@contextlib.contextmanager
def averaged_statistics(model: nn.Module):
    """Inside, every BatchNorm layer's running statistics start from zero and become the plain
    average over the batches it sees in training mode (momentum None); its momentum is restored
    on leaving, for later training. Yields the layers."""
    layers = bn_layers(model)
    momenta = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None
    try:
        yield layers
    finally:
        for m, momentum in zip(layers, momenta):
            m.momentum = momentum
