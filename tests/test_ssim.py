"""The differentiable SSIM / MS-SSIM of trainables/ssim.py against scikit-image.

Tolerance: 1e-6 in float64 (the two compute the same sums; they agree to ~1e-15 in practice)
and 1e-4 in float32 (what training uses)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage
from skimage.metrics import structural_similarity

from trainables.data.digits import embedded_digits, pad32
from trainables.ssim import MS_SIGMA, ms_ssim, ms_ssim_loss, ms_ssim_weights, ssim, ssim_loss

SKIMAGE = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)


def pairs():
    """Digit vs noisy digit, digit vs another digit, random vs random, near-constant vs digit."""
    rng = np.random.default_rng(0)
    digits = pad32(embedded_digits()["x"][:3]).astype(np.float64)[:, 0] / 255.0
    noisy = np.clip(digits[0] + 0.3 * rng.standard_normal((32, 32)), 0, 1)
    flat = np.full((32, 32), 0.5) + 0.01 * rng.random((32, 32))
    return [(digits[0], noisy), (digits[0], digits[1]), (rng.random((32, 32)), rng.random((32, 32))),
            (flat, digits[2]), (digits[1], digits[1])]


def t(a, dtype=torch.float64):
    return torch.tensor(np.asarray(a), dtype=dtype)[None, None]


@pytest.mark.parametrize("i", range(5))
def test_ssim_matches_skimage(i):
    a, b = pairs()[i]
    ref = structural_similarity(a, b, **SKIMAGE)
    assert ssim(t(a), t(b)).item() == pytest.approx(ref, abs=1e-6)
    assert ssim(t(a, torch.float32), t(b, torch.float32)).item() == pytest.approx(ref, abs=1e-4)


def test_ssim_of_a_batch_is_per_image_and_falls_with_noise():
    a, _ = pairs()[0]
    rng = np.random.default_rng(1)
    levels = [0.0, 0.1, 0.3, 0.6]
    noisy = np.stack([np.clip(a + s * rng.standard_normal(a.shape), 0, 1) for s in levels])[:, None]
    clean = np.repeat(a[None, None], len(levels), 0)
    got = ssim(torch.tensor(noisy), torch.tensor(clean)).numpy()
    ref = [structural_similarity(n[0], a, **SKIMAGE) for n in noisy]
    np.testing.assert_allclose(got, ref, atol=1e-6)
    assert got[0] == pytest.approx(1.0) and all(np.diff(got) < 0)


def test_one_scale_ms_ssim_is_skimage_ssim_with_the_7x7_window():
    for a, b in pairs():
        ref = structural_similarity(a, b, **{**SKIMAGE, "sigma": MS_SIGMA})
        assert ms_ssim(t(a), t(b), scales=1).item() == pytest.approx(max(ref, 1e-6), abs=1e-6)


def _reference_ms_ssim(a, b, scales=3, sigma=MS_SIGMA):
    """MS-SSIM from scipy's Gaussian filter, cropped as skimage crops: an independent check of
    the torch version's scales, pooling, cs terms and weights."""
    w = ms_ssim_weights(scales).numpy()
    r = int(3.5 * sigma + 0.5)
    out = 1.0
    for j in range(scales):
        f = lambda z: ndimage.gaussian_filter(z, sigma, truncate=3.5, mode="reflect")[r:-r, r:-r]
        mx, my = f(a), f(b)
        vx, vy, vxy = f(a * a) - mx ** 2, f(b * b) - my ** 2, f(a * b) - mx * my
        cs = (2 * vxy + 0.03 ** 2) / (vx + vy + 0.03 ** 2)
        lum = (2 * mx * my + 0.01 ** 2) / (mx ** 2 + my ** 2 + 0.01 ** 2)
        term = (lum * cs).mean() if j == scales - 1 else cs.mean()
        out *= max(term, 1e-6) ** w[j]
        a, b = a.reshape(a.shape[0] // 2, 2, -1, 2).mean((1, 3)), b.reshape(b.shape[0] // 2, 2, -1, 2).mean((1, 3))
    return out


def test_three_scale_ms_ssim_matches_a_scipy_reference():
    assert ms_ssim_weights().sum().item() == pytest.approx(1.0)
    assert len(ms_ssim_weights()) == 3
    for a, b in pairs():
        assert ms_ssim(t(a), t(b)).item() == pytest.approx(_reference_ms_ssim(a, b), abs=1e-6)
    a, b = pairs()[0]
    assert ms_ssim(t(a), t(a)).item() == pytest.approx(1.0)
    assert 0 < ms_ssim(t(a), t(b)).item() < 1


def test_losses_are_differentiable():
    a, b = pairs()[0]
    x = t(b).clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: ssim_loss(z, t(a)), (x,), eps=1e-6, atol=1e-5, fast_mode=True)
    assert torch.autograd.gradcheck(lambda z: ms_ssim_loss(z, t(a)), (x,), eps=1e-6, atol=1e-5, fast_mode=True)
    # a few gradient steps on the loss move a noisy image towards the clean one
    x = t(b, torch.float32).clone().requires_grad_(True)
    before = F.mse_loss(x, t(a, torch.float32)).item()
    opt = torch.optim.Adam([x], lr=0.02)
    for _ in range(30):
        opt.zero_grad()
        ms_ssim_loss(x, t(a, torch.float32)).backward()
        opt.step()
    assert ms_ssim(x.detach(), t(a, torch.float32)).item() > ms_ssim(t(b), t(a)).item()
    assert torch.isfinite(x).all() and before > 0


def test_images_smaller_than_the_window_are_refused():
    with pytest.raises(ValueError, match="window"):
        ssim(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match="shape"):
        ssim(torch.rand(1, 1, 32, 32), torch.rand(1, 1, 16, 16))
