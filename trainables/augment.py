"""Random zoom, rotation and translation per image, on a batch tensor, in one affine warp."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

# The report's two intensities of the same three transforms.
INTENSITY = {
    "none": None,
    "moderate": {"degrees": 10.0, "shift": 0.10, "zoom": 0.10},
    "aggressive": {"degrees": 35.0, "shift": 0.25, "zoom": 0.35},
}


def random_affine(x: torch.Tensor, degrees: float, shift: float, zoom: float,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    n = x.shape[0]
    u = lambda: torch.rand(n, generator=generator, device="cpu").to(x.device) * 2 - 1  # U(-1, 1)
    angle = u() * math.radians(degrees)
    scale = 1 + u() * zoom
    tx, ty = u() * shift * 2, u() * shift * 2  # grid coordinates span 2 per image side
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


def augment(x: torch.Tensor, level: str, generator: torch.Generator | None = None) -> torch.Tensor:
    if level not in INTENSITY:
        raise ValueError(f"augment must be one of {sorted(INTENSITY)}, not {level!r}")
    params = INTENSITY[level]
    return x if params is None else random_affine(x, generator=generator, **params)
