"""Differentiable SSIM and MS-SSIM for small (32x32) grey images in [0, 1], as losses and metrics.

SSIM (Wang et al. 2004) as scikit-image computes it with `gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1`: an 11x11 Gaussian window (sigma 1.5, truncated at
3.5 sigma), population (co)variances, C1 = (0.01)^2, C2 = (0.03)^2, and the SSIM map averaged over
the *valid* positions only (skimage filters the whole image, then crops (win-1)/2 pixels from each
border before averaging; a valid convolution gives exactly those positions). On a 32x32 image that
is a 22x22 map. tests/test_ssim.py checks it against skimage within 1e-5 (float64) / 1e-4 (float32).

MS-SSIM (Wang, Simoncelli, Bovik 2003): the standard form uses five scales (each a 2x average
pool of the last) with an 11x11 window, which needs images of at least 161 pixels a side: a 32x32
digit is 2x2 at the fifth scale. Here, for 32x32 images:
  * three scales: 32x32, 16x16, 8x8;
  * a 7x7 Gaussian window, sigma 0.8 (skimage's rule, radius int(3.5 sigma + 0.5) = 3, gives 7
    taps, so each scale's SSIM is what skimage computes with sigma=0.8): valid maps of 26x26,
    10x10 and 2x2;
  * the weights of the first three standard scales (0.0448, 0.2856, 0.3001), renormalised to sum
    to one: the fine scales, where a digit's strokes are, are kept; the two coarsest standard
    scales, which would be smaller than any window, are dropped.
MS-SSIM = prod_{j<M} cs_j^{w_j} * ssim_M^{w_M}, with cs and ssim clamped to a small positive
floor before the fractional powers so that the loss stays finite and differentiable.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

C1, C2 = 0.01 ** 2, 0.03 ** 2          # (K1 L)^2, (K2 L)^2 with data range L = 1
SSIM_SIGMA = 1.5                       # 11x11 window
MS_SIGMA = 0.8                         # 7x7 window
STANDARD_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
MS_SCALES = 3
_FLOOR = 1e-6


def window_radius(sigma: float, truncate: float = 3.5) -> int:
    """scipy.ndimage's (and so skimage's) kernel radius for a Gaussian of `sigma`."""
    return int(truncate * sigma + 0.5)


def gaussian_1d(sigma: float, dtype=torch.float32, device=None) -> torch.Tensor:
    r = window_radius(sigma)
    x = torch.arange(-r, r + 1, dtype=torch.float64)
    g = torch.exp(-0.5 * (x / sigma) ** 2)
    return (g / g.sum()).to(dtype=dtype, device=device)


def _band(g: torch.Tensor, n: int) -> torch.Tensor:
    """The (n - k + 1, n) matrix whose rows are the k-tap kernel `g` shifted by one: a valid 1-d
    filter of length-n rows as one matrix product."""
    k = g.numel()
    rows = torch.arange(n - k + 1, device=g.device)[:, None]
    band = torch.zeros(n - k + 1, n, dtype=g.dtype, device=g.device)
    band[rows, rows + torch.arange(k, device=g.device)[None, :]] = g
    return band


def _filter(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Separable valid Gaussian filter over the last two dims, every leading image on its own.
    As two matrix products (B_h @ x @ B_w^T), not two grouped convolutions: on 32x32 images
    the grouped 1-d convolutions and their backward were most of the SSIM losses' cost (loss +
    backward, one CPU thread, quiet: SSIM 5-8x and MS-SSIM ~4x slower at batches of 32-64)."""
    return _band(g, x.shape[-2]) @ x @ _band(g, x.shape[-1]).T


def _ssim_cs(x: torch.Tensor, y: torch.Tensor, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image mean SSIM and mean contrast-structure term cs, each of shape (N,)."""
    if x.shape != y.shape or x.dim() != 4:
        raise ValueError(f"expected two (N, C, H, W) batches of one shape, got {tuple(x.shape)} "
                         f"and {tuple(y.shape)}")
    size = 2 * window_radius(sigma) + 1
    if min(x.shape[-2:]) < size:
        raise ValueError(f"images of {tuple(x.shape[-2:])} are smaller than the {size}x{size} window")
    g = gaussian_1d(sigma, x.dtype, x.device)
    # the five local means in one filtering pass
    mx, my, mxx, myy, mxy = _filter(torch.stack([x, y, x * x, y * y, x * y]), g).unbind(0)
    vx, vy, vxy = mxx - mx * mx, myy - my * my, mxy - mx * my
    cs = (2 * vxy + C2) / (vx + vy + C2)
    lum = (2 * mx * my + C1) / (mx * mx + my * my + C1)
    return (lum * cs).flatten(1).mean(1), cs.flatten(1).mean(1)


def ssim(x: torch.Tensor, y: torch.Tensor, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """Mean SSIM of each image pair, shape (N,); images (N, C, H, W) in [0, 1]."""
    return _ssim_cs(x, y, sigma)[0]


def ms_ssim_weights(scales: int = MS_SCALES) -> torch.Tensor:
    w = torch.tensor(STANDARD_WEIGHTS[:scales], dtype=torch.float64)
    return w / w.sum()


def ms_ssim(x: torch.Tensor, y: torch.Tensor, scales: int = MS_SCALES,
            sigma: float = MS_SIGMA) -> torch.Tensor:
    """Multi-scale SSIM of each image pair, shape (N,) (see the module notes for the choices)."""
    weights = ms_ssim_weights(scales).to(x.dtype).to(x.device)
    terms = []
    for j in range(scales):
        s, cs = _ssim_cs(x, y, sigma)
        terms.append((s if j == scales - 1 else cs).clamp_min(_FLOOR) ** weights[j])
        if j < scales - 1:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return torch.stack(terms, 0).prod(0)


def ssim_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return 1.0 - ssim(output, target).mean()


def ms_ssim_loss(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return 1.0 - ms_ssim(output, target).mean()
