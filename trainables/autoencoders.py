"""The report's Section 4 autoencoders: MLP and CNN autoencoders with a 10-d code and PCA
(Table 4), and a convolutional denoising autoencoder trained with MSE, MAE, SSIM or MS-SSIM
(Table 5). Images are 1x32x32 digits in [0, 1] (trainables.data.digits).

`train_autoencoder(config, session, data)` runs without Ray (trainables.loop); `config["model"]` picks the model:
mlp | cnn | denoiser (trained by gradient descent, one report per epoch) or pca (fitted once).
"""
from __future__ import annotations

import contextlib
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainables.data.digits import load_digits32
from trainables.device import synchronize, to_float
from trainables.loop import Run, trainable
from trainables.previews import sample_grid
from trainables.session import is_finite
from trainables.ssim import ms_ssim_loss, ssim, ssim_loss

DEFAULTS = {
    "model": "cnn", "loss": "mse", "noise": 0.0, "bottleneck": 10, "width": 16,
    "mlp_widths": [512, 256, 128, 64], "dropout": 0.2, "lr": 1e-3, "batch_size": 128,
    "epochs": 10, "dataset": "digits", "data_root": "", "max_train": 0, "max_val": 0, "samples": 10,
    "code_classifier": True, "eval_seed": 1234, "val_share": 0.0,
}

LOSSES = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "ssim": ssim_loss,
    "ms_ssim": ms_ssim_loss,
}


# ---------------------------------------------------------------- models

class MLPAutoencoder(nn.Module):
    """1024 -> 512 -> 256 -> 128 -> 64 -> code -> 64 -> ... -> 1024: widths change gradually.
    ReLU after every hidden layer; batch norm before each activation except the first layer's
    (its input is already in [0, 1]); one dropout layer in the encoder, after the first layer.
    The code is linear (no activation), the output a sigmoid."""

    def __init__(self, bottleneck: int = 10, widths=(512, 256, 128, 64), dropout: float = 0.2,
                 pixels: int = 32 * 32):
        super().__init__()
        widths = list(widths)
        enc = [nn.Flatten(), nn.Linear(pixels, widths[0]), nn.ReLU(), nn.Dropout(dropout)]
        for a, b in zip(widths, widths[1:]):
            enc += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
        enc += [nn.Linear(widths[-1], bottleneck)]
        back = widths[::-1]
        dec = [nn.Linear(bottleneck, back[0]), nn.BatchNorm1d(back[0]), nn.ReLU()]
        for a, b in zip(back, back[1:]):
            dec += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
        dec += [nn.Linear(back[-1], pixels), nn.Sigmoid()]
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)
        self.side = int(round(pixels ** 0.5))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encoder(x)).view(-1, 1, self.side, self.side)


def _conv_block(cin, cout, stride):
    return [nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout), nn.ReLU()]


def _up_block(cin, cout):
    return [nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1), nn.BatchNorm2d(cout), nn.ReLU()]


class CNNAutoencoder(nn.Module):
    """Encoder: four conv blocks (3x3 conv, BN before ReLU) with growing filters w, 2w, 4w, 8w
    (strides 1, 2, 2, 2: 32 -> 32 -> 16 -> 8 -> 4), then dense to the code. Decoder: dense from
    the code to 4x4x(8w) (4x4x128 at the default w=16, as in the report), three stride-2
    transposed convs (4 -> 8 -> 16 -> 32, filters shrinking), a 3x3 conv to one sigmoid channel."""

    def __init__(self, bottleneck: int = 10, width: int = 16):
        super().__init__()
        w = width
        self.top = 8 * w
        self.encoder = nn.Sequential(
            *_conv_block(1, w, 1), *_conv_block(w, 2 * w, 2), *_conv_block(2 * w, 4 * w, 2),
            *_conv_block(4 * w, 8 * w, 2), nn.Flatten(), nn.Linear(8 * w * 16, bottleneck))
        self.expand = nn.Sequential(nn.Linear(bottleneck, self.top * 16), nn.ReLU())
        self.decoder = nn.Sequential(
            *_up_block(8 * w, 4 * w), *_up_block(4 * w, 2 * w), *_up_block(2 * w, w),
            nn.Conv2d(w, 1, 3, 1, 1), nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.expand(self.encoder(x)).view(-1, self.top, 4, 4))


class ConvDenoiser(nn.Module):
    """The denoising autoencoder of Table 5 (the report gives no architecture): conv blocks
    32x32xw -> 16x16x2w -> 8x8x2w, then stride-2 transposed convs back to 32x32 and a sigmoid
    conv. No dense bottleneck: it removes noise rather than compressing."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            *_conv_block(1, w, 1), *_conv_block(w, 2 * w, 2), *_conv_block(2 * w, 2 * w, 2),
            *_up_block(2 * w, 2 * w), *_up_block(2 * w, w), nn.Conv2d(w, 1, 3, 1, 1), nn.Sigmoid())

    def forward(self, x):
        return self.net(x)


def build_model(config: dict) -> nn.Module:
    kind = config["model"]
    if kind == "mlp":
        return MLPAutoencoder(config["bottleneck"], config["mlp_widths"], config["dropout"])
    if kind == "cnn":
        return CNNAutoencoder(config["bottleneck"], config["width"])
    if kind == "denoiser":
        return ConvDenoiser(config["width"])
    raise ValueError(f"model must be mlp, cnn, denoiser or pca, not {kind!r}")


# ---------------------------------------------------------------- data helpers

def add_noise(x: torch.Tensor, level: float, generator: torch.Generator | None) -> torch.Tensor:
    """Gaussian noise of std `level`, clipped back to [0, 1]; `level` 0 leaves x as it is."""
    if level <= 0:
        return x
    noise = torch.randn(x.shape, generator=generator)
    return (x + level * noise.to(x.device)).clamp_(0.0, 1.0)


def sample_indices(y: np.ndarray, k: int) -> np.ndarray:
    """The same k held-out digits for every arm: the first of each class, then the next ones."""
    firsts = [int(np.flatnonzero(y == c)[0]) for c in np.unique(y)]
    rest = [i for i in range(len(y)) if i not in set(firsts)]
    return np.asarray((firsts + rest)[:k])


def code_accuracy(codes_tr, y_tr, codes_va, y_va) -> tuple[float, float]:
    """A multinomial logistic regression on the standardised codes: train and held-out accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    clf.fit(codes_tr, y_tr)
    return float(clf.score(codes_tr, y_tr)), float(clf.score(codes_va, y_va))


# ---------------------------------------------------------------- training

def _evaluate(model, x, noisy, batch, device, codes=False, autocast=contextlib.nullcontext,
              loss_fn=None):
    """Outputs' MSE, mean SSIM and mean `loss_fn` (if given) against the clean x (and the codes),
    in eval mode, from one forward pass; the model under `autocast` (Run.autocast), the scores in
    float32."""
    model.eval()
    se, ss, lo, out_codes = 0.0, 0.0, 0.0, []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            clean = to_float(x[i:i + batch]).to(device)
            inp = noisy[i:i + batch].to(device) if noisy is not None else clean
            with autocast():
                out = model(inp).float()
            se += F.mse_loss(out, clean, reduction="sum").item()
            ss += ssim(out, clean).sum().item()
            if loss_fn is not None:
                lo += loss_fn(out, clean).item() * len(clean)
            if codes:
                with autocast():
                    out_codes.append(model.encode(inp).float().cpu().numpy())
    n = len(x)
    return se / (n * x[0].numel()), ss / n, lo / n, (np.concatenate(out_codes) if codes else None)


def _fixed_noisy(x: torch.Tensor, level: float, seed: int) -> torch.Tensor | None:
    """The held-out (and train-evaluation) inputs, noised once with a fixed seed, so that every
    arm and epoch is scored on the same noisy images."""
    if level <= 0:
        return None
    return add_noise(to_float(x), level, torch.Generator().manual_seed(seed))


@trainable(DEFAULTS, load_digits32)
def train_autoencoder(run: Run) -> None:
    if run.config["model"] == "pca":
        return fit_pca(run)
    config, arrays, device = run.config, run.data.arrays, run.device
    model = run.prepare_model(build_model(config), conv=config["model"] in ("cnn", "denoiser"))
    opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    run.track(model=model, optimizer=opt)
    loss_fn = LOSSES[config["loss"]]
    # the digits go to the device once, as uint8 (copies: object-store arrays are read-only)
    xt, yt = torch.tensor(arrays["x_train"], device=device), np.asarray(arrays["y_train"])
    xv, yv = torch.tensor(arrays["x_val"], device=device), np.asarray(arrays["y_val"])
    noise, batch = float(config["noise"]), int(config["batch_size"])
    noisy_t = _fixed_noisy(xt, noise, config["eval_seed"] + 1)
    # with a test split (val_share > 0) it keeps the held-out inputs' noise (eval_seed, as the
    # trivial baselines draw it) and the validation split, carved from training, gets its own
    test = "x_test" in arrays
    noisy_v = _fixed_noisy(xv, noise, config["eval_seed"] + (2 if test else 0))
    if test:
        xs, ys = torch.tensor(arrays["x_test"], device=device), np.asarray(arrays["y_test"])
        noisy_s = _fixed_noisy(xs, noise, config["eval_seed"])
    for _ in run.epochs():
        model.train()
        start, losses, sizes = time.perf_counter(), [], []
        order = torch.randperm(len(xt), generator=run.generator)
        for i in range(0, len(xt), batch):
            clean = to_float(xt[order[i:i + batch]])
            inp = add_noise(clean, noise, run.generator).to(device)
            clean = clean.to(device)
            with run.autocast():
                out = model(inp)
            loss = loss_fn(out.float(), clean)  # the loss (SSIM too) in float32
            run.step(opt, loss)
            losses.append(loss.detach())  # on the device: one host sync per epoch
            sizes.append(len(clean))
        total = 0.0
        for v, n in zip(torch.stack(losses).tolist(), sizes):
            total += v * n
        synchronize(device)
        seconds = time.perf_counter() - start
        codes = run.last and config["code_classifier"] and hasattr(model, "encode")
        # the held-out split every epoch (ASHA and the flags read val_mse); the whole training
        # split only at the last epoch, the one value the table shows (it cost a third of an epoch)
        va_mse, va_ssim, va_loss, c_va = _evaluate(model, xv, noisy_v, 512, device, codes, run.autocast,
                                                   loss_fn)
        train_loss = total / len(xt)
        ok = is_finite(train_loss, va_mse)
        metrics = {"train_loss": train_loss, "val_loss": va_loss, "val_mse": va_mse, "ssim_val": va_ssim,
                   "epoch_s": seconds, "images_per_s": len(xt) / seconds}
        if run.last:
            metrics["train_mse"], metrics["ssim_train"], _, c_tr = _evaluate(
                model, xt, noisy_t, 512, device, codes, run.autocast)
            if test:  # read once, after the last epoch: it chooses nothing
                metrics["test_mse"], metrics["ssim_test"], _, c_te = _evaluate(
                    model, xs, noisy_s, 512, device, codes, run.autocast)
        if codes and ok:
            metrics["train_code_acc"], metrics["val_code_acc"] = code_accuracy(c_tr, yt, c_va, yv)
            if test:
                metrics["test_code_acc"] = code_accuracy(c_tr, yt, c_te, ys)[1]
        held = (xs, ys, noisy_s) if test and run.last else (xv, yv, noisy_v)  # what the figures show
        extra = ({"samples": _samples(model, *held, config["samples"], device)}
                 if run.last or not ok else None)
        run.report(metrics, diverged=not ok, extra=extra, images=lambda: {  # TensorBoard's previews
            "denoised" if noise else "reconstructions":
                sample_grid(_samples(model, xv, yv, noisy_v, config["samples"], device))})


def _samples(model, xv, yv, noisy_v, k, device) -> dict:
    """Inputs, outputs and clean targets of the same k held-out digits, for the figures."""
    idx = torch.as_tensor(sample_indices(yv, k), device=xv.device)
    clean = to_float(xv[idx])
    inp = noisy_v[idx] if noisy_v is not None else clean
    model.eval()
    with torch.no_grad():
        out = model(inp.to(device)).cpu()
    return {"index": idx.cpu().numpy(), "input": inp.cpu().numpy(), "output": out.numpy(),
            "target": clean.cpu().numpy()}


# ---------------------------------------------------------------- PCA

def fit_pca(run: Run) -> None:
    """PCA with `bottleneck` components: fitted once on the training images, so it reports once.

    That single report carries `epoch` = config["epochs"], the budget the gradient-trained arms
    run, not 1: the analysis counts a trial as "completed" only if its last epoch reaches the
    study's epoch budget (analysis/trials.py `_status`), and ASHA stops a trial whose time
    attribute reaches max_t, which is what PCA wants. A fitted PCA *is* the full budget."""
    from sklearn.decomposition import PCA
    config, arrays = run.config, run.data.arrays
    if run.first_epoch >= run.total:
        return  # already fitted and reported
    run.start()
    start = time.perf_counter()
    xt = arrays["x_train"].reshape(len(arrays["x_train"]), -1).astype(np.float64) / 255.0
    xv = arrays["x_val"].reshape(len(arrays["x_val"]), -1).astype(np.float64) / 255.0
    pca = PCA(n_components=config["bottleneck"], svd_solver="randomized", random_state=0).fit(xt)
    test = {}
    if "x_test" in arrays:  # scored like the networks' test split, once
        xs = arrays["x_test"].reshape(len(arrays["x_test"]), -1).astype(np.float64) / 255.0
        c_te = pca.transform(xs)
        r_te = np.clip(pca.inverse_transform(c_te), 0, 1)
        test = {"test_mse": float(((r_te - xs) ** 2).mean()),
                "ssim_test": float(ssim(*(torch.tensor(a, dtype=torch.float32).view(-1, 1, 32, 32)
                                          for a in (r_te, xs))).mean())}
    c_tr, c_va = pca.transform(xt), pca.transform(xv)
    r_tr, r_va = np.clip(pca.inverse_transform(c_tr), 0, 1), np.clip(pca.inverse_transform(c_va), 0, 1)
    seconds = time.perf_counter() - start
    tv, vv = (torch.tensor(r, dtype=torch.float32).view(-1, 1, 32, 32) for r in (r_tr, r_va))
    tc, vc = (torch.tensor(x, dtype=torch.float32).view(-1, 1, 32, 32) for x in (xt, xv))
    metrics = {"train_mse": float(((r_tr - xt) ** 2).mean()), "val_mse": float(((r_va - xv) ** 2).mean()),
               "ssim_train": float(ssim(tv, tc).mean()), "ssim_val": float(ssim(vv, vc).mean()),
               "explained_variance": float(pca.explained_variance_ratio_.sum()),
               "epoch_s": seconds, "images_per_s": len(xt) / seconds, **test}
    if config["code_classifier"]:
        yt, yv = np.asarray(arrays["y_train"]), np.asarray(arrays["y_val"])
        metrics["train_code_acc"], metrics["val_code_acc"] = code_accuracy(c_tr, yt, c_va, yv)
        if test:
            metrics["test_code_acc"] = code_accuracy(c_tr, yt, c_te, np.asarray(arrays["y_test"]))[1]
    if test:  # the figures show the same held-out digits as the networks' (the test split's)
        vv, vc = (torch.tensor(r, dtype=torch.float32).view(-1, 1, 32, 32) for r in (r_te, xs))
    idx = sample_indices(np.asarray(arrays["y_test" if test else "y_val"]), config["samples"])
    samples = {"index": idx, "input": vc[idx].numpy(), "output": vv[idx].numpy(), "target": vc[idx].numpy()}
    run.epoch = run.total
    run.report(metrics, extra={"samples": samples, "components": pca.components_, "mean": pca.mean_,
                               "explained_variance_ratio": pca.explained_variance_ratio_},
               images=lambda: {"reconstructions": sample_grid(samples)})


# The direction of every metric this trainable reports (the study contract, studies/contract.py)
train_autoencoder.metrics = {
    "train_loss": "min", "val_loss": "min", "train_mse": "min", "val_mse": "min", "ssim_train": "max",
    "ssim_val": "max", "epoch_s": "cost", "images_per_s": "cost", "train_code_acc": "max",
    "val_code_acc": "max", "explained_variance": "max", "test_mse": "min", "ssim_test": "max",
    "test_code_acc": "max"}
