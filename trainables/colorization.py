"""Report Section 5.2 (Figure 24): colourising grey images with a UNet trained on MAE (L1) alone,
and with a conditional GAN whose generator is the same UNet, judged by a PatchGAN discriminator,
plus the L1 term (pix2pix).

Colour space: CIE Lab (scikit-image's rgb2lab / lab2rgb). The network sees L (the grey image,
scaled to [-1, 1]) and predicts a and b (scaled by 1/110, tanh). The reported test MAE is taken in
RGB in [0, 1] after putting the true L and the predicted ab back together; the saturation statistic
is the mean Lab chroma sqrt(a^2 + b^2) of the outputs, beside that of the true colours.

`train_colorization(config, session, data)` runs without Ray.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainables.batchnorm import averaged_statistics
from trainables.data.photos import load_colorization_data
from trainables.loop import Run, trainable
from trainables.loop import step as plain_step
from trainables.previews import grid
from trainables.session import is_finite

DEFAULTS = {
    "model": "unet", "lr": 1e-3, "l1_weight": 100.0, "width": 16, "batch_size": 32, "epochs": 10,
    "dataset": "photos", "data_root": "", "max_train": 0, "max_val": 0, "preview": 8,
}
AB_SCALE = 110.0


# ---------------------------------------------------------------- data

def to_lab(x_uint8: np.ndarray, chunk: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 3, H, W) uint8 RGB -> L in [-1, 1] (N, 1, H, W) and ab / 110 (N, 2, H, W), float32.
    Converted `chunk` images at a time into preallocated outputs, so that skimage's float64
    temporaries stay small (all of CIFAR-10 at once took ~6 GB; now the outputs, 0.6 GB, and a
    few MB besides)."""
    from skimage.color import rgb2lab
    x = np.asarray(x_uint8)
    grey = torch.empty((len(x), 1, *x.shape[2:]), dtype=torch.float32)
    ab = torch.empty((len(x), 2, *x.shape[2:]), dtype=torch.float32)
    for i in range(0, len(x), chunk):
        lab = rgb2lab(x[i:i + chunk].transpose(0, 2, 3, 1) / 255.0).astype(np.float32)
        lab = torch.from_numpy(lab).permute(0, 3, 1, 2)
        grey[i:i + chunk] = lab[:, :1] / 50.0 - 1.0
        ab[i:i + chunk] = lab[:, 1:] / AB_SCALE
    return grey, ab


def to_rgb(grey: torch.Tensor, ab: torch.Tensor) -> np.ndarray:
    """Inverse of `to_lab`: (N, H, W, 3) RGB floats in [0, 1]."""
    from skimage.color import lab2rgb
    lab = torch.cat([(grey + 1.0) * 50.0, ab * AB_SCALE], 1).permute(0, 2, 3, 1).double().numpy()
    with warnings.catch_warnings():  # out-of-gamut predictions: clipped, as lab2rgb says
        warnings.simplefilter("ignore", UserWarning)
        return np.clip(lab2rgb(lab), 0.0, 1.0)


# ---------------------------------------------------------------- models

def block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())


class UNet(nn.Module):
    """L -> ab: three down steps (32 -> 4), a bottleneck, three up steps with skip connections."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.downs = nn.ModuleList([block(1, w), block(w, 2 * w), block(2 * w, 4 * w)])
        self.bottom = block(4 * w, 8 * w)
        self.ups = nn.ModuleList([nn.ConvTranspose2d(8 * w, 4 * w, 2, 2), nn.ConvTranspose2d(4 * w, 2 * w, 2, 2),
                                  nn.ConvTranspose2d(2 * w, w, 2, 2)])
        self.dec = nn.ModuleList([block(8 * w, 4 * w), block(4 * w, 2 * w), block(2 * w, w)])
        self.out = nn.Conv2d(w, 2, 1)

    def forward(self, grey):
        skips, h = [], grey
        for down in self.downs:
            h = down(h)
            skips.append(h)
            h = F.max_pool2d(h, 2)
        h = self.bottom(h)
        for up, dec, skip in zip(self.ups, self.dec, reversed(skips)):
            h = dec(torch.cat([up(h), skip], 1))
        return torch.tanh(self.out(h))


class PatchGAN(nn.Module):
    """(L, ab) -> a grid of real/fake logits, one per overlapping patch (8x8 for 32x32 input)."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(3, w, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 4 * w, 3, 1, 1), nn.BatchNorm2d(4 * w), nn.LeakyReLU(0.2),
            nn.Conv2d(4 * w, 1, 3, 1, 1))

    def forward(self, grey, ab):
        return self.net(torch.cat([grey, ab], 1))


def start_at_colour(unet: UNet, mean_ab: torch.Tensor) -> None:
    """The output layer starts at the mean training colour (its bias atanh(mean ab), its weights
    shrunk tenfold), so training starts at the trivial baseline and improves on it: from the default
    init the UNet spent its few local epochs unlearning random colours (train L1 above the mean
    colour's after 6 epochs)."""
    with torch.no_grad():
        unet.out.weight.mul_(0.1)
        unet.out.bias.copy_(torch.atanh(mean_ab.clamp(-0.99, 0.99)).to(unet.out.bias))


# ---------------------------------------------------------------- epochs

def train_epoch(config, unet, disc, opt_g, opt_d, grey, ab, device, generator, run=None):
    """One pass; `run` (trainables.loop.Run) brings mixed precision: the networks under autocast,
    the losses in float32."""
    autocast = run.autocast if run is not None else contextlib.nullcontext
    step = run.step if run is not None else plain_step
    unet.train()
    if disc is not None:
        disc.train()
    per_batch, sizes = [], []
    order = torch.randperm(len(grey), generator=generator)
    for i in range(0, len(grey), config["batch_size"]):
        idx = order[i:i + config["batch_size"]]
        g, t = grey[idx].to(device), ab[idx].to(device)
        flip = torch.rand(len(idx), generator=generator).to(device) < 0.5  # horizontal flips
        g = torch.where(flip[:, None, None, None], g.flip(3), g)
        t = torch.where(flip[:, None, None, None], t.flip(3), t)
        with autocast():
            fake = unet(g).float()
        d_loss = adv = torch.zeros((), device=device)
        if disc is not None:
            with autocast():
                real_out, fake_out = disc(g, t).float(), disc(g, fake.detach()).float()
            d_loss = 0.5 * (F.binary_cross_entropy_with_logits(real_out, torch.ones_like(real_out))
                            + F.binary_cross_entropy_with_logits(fake_out, torch.zeros_like(fake_out)))
            step(opt_d, d_loss)
            with autocast():
                out = disc(g, fake).float()
            adv = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        l1 = F.l1_loss(fake, t)
        loss = l1 if disc is None else adv + config["l1_weight"] * l1
        step(opt_g, loss)
        per_batch.append(torch.stack([l1.detach(), d_loss.detach(), adv.detach()]))  # one sync per epoch
        sizes.append(len(idx))
    sums, n = np.zeros(3), 0
    for values, size in zip(torch.stack(per_batch).tolist(), sizes):
        sums += np.array(values) * size
        n += size
    l1, d_loss, adv = sums / n
    metrics = {"train_l1": l1}
    if disc is not None:
        metrics.update({"d_loss": d_loss, "g_adv_loss": adv})
    return metrics


@torch.no_grad()
def predict(unet, grey, device, autocast=contextlib.nullcontext) -> torch.Tensor:
    unet.eval()
    with autocast():
        return torch.cat([unet(grey[i:i + 256].to(device)).float().cpu() for i in range(0, len(grey), 256)])


def chroma(ab: torch.Tensor) -> float:
    """Mean Lab chroma sqrt(a^2 + b^2), in Lab units, of scaled ab."""
    return float((ab * AB_SCALE).pow(2).sum(1).sqrt().mean())


def evaluate(unet, grey, ab, rgb_true, device, autocast=contextlib.nullcontext, prefix="val",
             colour=False) -> tuple[dict, torch.Tensor]:
    """MAE in RGB and L1 of ab on one split; with `colour`, the colour measures against the truth
    too: mean chroma (and the truth's), the per-pixel chroma error, the a,b distribution distance and
    the outputs' colour-edge sharpness at the truth's edges."""
    from trainables.measures import ab_distance, chroma_error, edge_sharpness
    pred = predict(unet, grey, device, autocast)
    rgb = to_rgb(grey, pred)
    out = {f"{prefix}_mae": float(np.abs(rgb - rgb_true).mean()),
           f"{prefix}_ab_l1": float((pred - ab).abs().mean())}
    if colour:
        c, c_true = chroma(pred), chroma(ab)
        p_ab, t_ab = (x.permute(0, 2, 3, 1).numpy() * AB_SCALE for x in (pred, ab))
        out.update({"chroma": c, "chroma_truth": c_true, "chroma_ratio": c / max(c_true, 1e-9),
                    "chroma_error": chroma_error(p_ab, t_ab), "ab_distance": ab_distance(p_ab, t_ab),
                    "edge_sharpness": edge_sharpness(p_ab, t_ab)})
    return out, pred


# ---------------------------------------------------------------- the trainable

def build(config: dict):
    unet = UNet(config["width"])
    opt_g = torch.optim.Adam(unet.parameters(), lr=config["lr"], betas=(0.5, 0.999))
    if config["model"] == "unet":
        return unet, None, opt_g, None
    if config["model"] == "cgan":
        disc = PatchGAN(config["width"])
        return unet, disc, opt_g, torch.optim.Adam(disc.parameters(), lr=config["lr"], betas=(0.5, 0.999))
    raise ValueError(f"model must be unet or cgan, not {config['model']!r}")


@trainable(DEFAULTS, load_colorization_data)
def train_colorization(run: Run) -> None:
    config, arrays, device = run.config, run.data.arrays, run.device
    unet, disc, opt_g, opt_d = build(config)
    run.track(unet=run.prepare_model(unet, conv=True), opt_g=opt_g)
    if disc is not None:
        run.track(disc=run.prepare_model(disc, conv=True), opt_d=opt_d)
    grey_tr, ab_tr = (t.to(device) for t in to_lab(arrays["x_train"]))  # on the device once
    if not run.restored:
        start_at_colour(unet, ab_tr.mean((0, 2, 3)))
    # scored on the CPU (lab2rgb): moved per batch. The validation split (held out of the training
    # photos' crops) is scored every epoch: ASHA and the rate's choice read it. The test split only
    # after the last epoch: read once, never choosing anything.
    splits = {name: (*to_lab(arrays[key]), np.asarray(arrays[key]).transpose(0, 2, 3, 1) / 255.0)
              for name, key in (("val", "x_val"), ("test", "x_test"))}
    # TensorBoard previews come from the validation split (the test split is read once, at the end)
    grey_va, _, rgb_va = splits["val"]
    for _ in run.epochs():
        # BatchNorm's running statistics: the mean over this epoch's batches, not a decaying average
        # of the last ~10, which follows whichever photos came last: with it the validation MAE moved
        # by ~5% between the last epochs of a cosine run, at a rate ~0
        with averaged_statistics(unet):
            metrics = train_epoch(config, unet, disc, opt_g, opt_d, grey_tr, ab_tr, device, run.generator, run)
        extra = {}
        diverged = not is_finite(*metrics.values())
        if not diverged:
            scores, pred_va = evaluate(unet, *splits["val"], device, run.autocast, "val")
            if run.last:
                grey_te = splits["test"][0]
                test, pred = evaluate(unet, *splits["test"], device, run.autocast, "test", colour=True)
                scores.update(test)
                k = config["preview"]  # what the figure shows: grey, output, truth
                extra["preview"] = {
                    "grey": np.round((grey_te[:k, 0].numpy() + 1) * 127.5).astype(np.uint8),
                    "output": np.round(to_rgb(grey_te[:k], pred[:k]) * 255).astype(np.uint8),
                    "truth": np.asarray(arrays["x_test"][:k]).transpose(0, 2, 3, 1).copy()}
            metrics.update(scores)
            diverged = not is_finite(*scores.values())
        run.report(metrics, diverged=diverged, extra=extra, images=None if diverged else lambda p=pred_va: {
            "colorizations": grid(grey_va[:8, 0] / 2 + 0.5, to_rgb(grey_va[:8], p[:8]), rgb_va[:8])})


# The direction of every metric this trainable reports (the study contract, studies/contract.py)
train_colorization.metrics = {
    "train_l1": "min", "val_mae": "min", "val_ab_l1": "min", "test_mae": "min", "test_ab_l1": "min",
    "d_loss": "min", "g_adv_loss": "min", "chroma_error": "min", "ab_distance": "min",
    # saturation: the report's point is that L1 alone gives greyish, unsaturated colours
    "chroma": "max", "chroma_truth": "max", "chroma_ratio": "max", "edge_sharpness": "max"}
