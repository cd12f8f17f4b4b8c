"""The one training loop every trainable runs; a study writes only its model and its epoch body.

    @trainable(DEFAULTS, load_images)
    def train_cnn(run: Run) -> None:
        model, opt = build(run.config, run.data.arrays)
        run.track(model=model.to(run.device), optimizer=opt)   # restored here on a resume
        for epoch in run.epochs():                               # from the epoch after the checkpoint
            ...
            run.report({"train_loss": loss, ...}, finite=(loss,))

The loop owns what every study must do the same way: the config (defaults merged, an unknown key
refused), threads, seeding (torch, numpy, random and `run.generator`), the device, the data, resume
of every tracked object and of every RNG, the reserved report keys (`epoch`, `device`, `diverged`,
`done_training`, `early_stopped`), a checkpoint with each report, stopping on divergence or early
stopping, and fault injection (`fail_at_epoch`, `fail_always`) for every study.
"""
from __future__ import annotations

import contextlib
import functools
import random
from typing import Any, Callable, Iterator

import numpy as np
import torch

from trainables.device import amp_dtype, device_label, pick_device, tune_backend
from trainables.previews import check as check_images
from trainables.previews import image_epochs
from trainables.session import LocalSession, Session, apply_threads, is_finite

# Fault injection, off unless set (`--set fail_at_epoch=2`):
# fail_at_epoch=k: every trial raises once, right after reporting (and checkpointing) epoch k;
#   retried from that checkpoint, it goes on from epoch k+1 and does not fail again.
# fail_always="arm[,arm]": the trials of these arms raise on every attempt, before any epoch.
FAULTS = {"fail_at_epoch": 0, "fail_always": ""}

# keys every trainable accepts besides its own (`arm` and `profile` are set by the runner,
# `checkpoint_every` is read by the Tune session; `amp`: mixed precision, see trainables.device;
# `lr_schedule`: "constant", or "cosine" (every tracked optimizer's rate annealed to 0 over `epochs`,
# so a fixed budget ends converged rather than still improving, and every arm gets the same schedule)
LOOP_DEFAULTS = {"seed": 0, "device": "auto", "amp": "auto", "arm": "", "profile": "",
                 "checkpoint_every": 1, "lr_schedule": "constant", **FAULTS}
SCHEDULES = ("constant", "cosine")


class ConfigError(ValueError):
    """A config key the trainable does not know (a misspelt arm setting would otherwise be
    dropped silently, making that arm the baseline)."""


class InjectedFault(RuntimeError):
    """Raised by the fault-injection settings above, never otherwise."""


def merge_config(defaults: dict, config: dict) -> dict:
    known = {**LOOP_DEFAULTS, **defaults}
    unknown = sorted(set(config) - set(known))
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join(unknown)}; this trainable accepts: "
                          f"{', '.join(sorted(known))}")
    return {**known, **config}


class Run:
    """One trial of one trainable: its config, session, data, device and RNGs, and the loop."""

    def __init__(self, config: dict, session: Session | None, data, defaults: dict,
                 load: Callable[[dict], Any]):
        self.config = merge_config(defaults, config)
        self.session = session or LocalSession()
        apply_threads(self.session)
        self.data = data if data is not None else load(self.config)
        seed = int(self.config["seed"])
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        random.seed(seed)
        self.generator = torch.Generator().manual_seed(seed)  # batches' order, noise: on the CPU
        self.rng = np.random.default_rng(seed)                 # numpy-side draws (RL actions)
        self.device = pick_device(self.config["device"])
        self.device_label = device_label(self.device)
        self.amp = amp_dtype(self.config["amp"], self.device)  # None: full float32
        tune_backend(self.device)
        self.total = int(self.config["epochs"])
        self.restored = self.session.restore()
        self.first_epoch = int(self.restored["epoch"]) if self.restored else 0
        self.epoch = self.first_epoch
        self.objects: dict[str, Any] = {}
        self.schedules: list = []
        self.stopped = False
        if self.config["lr_schedule"] not in SCHEDULES:
            raise ConfigError(f"lr_schedule={self.config['lr_schedule']!r}: one of {', '.join(SCHEDULES)}")
        # fp16 needs its loss scaled (bf16 has float32's range and does not); the scale is kept
        self.scaler = torch.amp.GradScaler("cuda") if self.amp == torch.float16 else None
        if self.scaler is not None and (not self.restored or "amp_scaler" in self.restored["objects"]):
            self.track(amp_scaler=self.scaler)

    # ------------------------------------------------------------ what the study calls

    def track(self, **objects) -> None:
        """Named objects with `state_dict()` / `load_state_dict()` (models, optimizers, agents,
        replay buffers) that every checkpoint keeps; restored now if the trial resumes."""
        for name, obj in objects.items():
            if self.restored:
                obj.load_state_dict(self.restored["objects"][name])
            self.objects[name] = obj
            if isinstance(obj, torch.optim.Optimizer) and self.config["lr_schedule"] == "cosine":
                # built after the optimizer's state is back, so a resume continues the same curve
                schedule = torch.optim.lr_scheduler.CosineAnnealingLR(obj, T_max=max(self.total, 1))
                self.schedules.append(schedule)
                self.track(**{f"{name}_lr_schedule": schedule})

    def autocast(self):
        """Context for the forward pass and loss: bf16/fp16 autocast on CUDA when `amp` says so,
        else a no-op (the CPU default: results stay bit-identical to plain float32)."""
        if self.amp is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp)

    def prepare_model(self, model: torch.nn.Module, conv: bool = False) -> torch.nn.Module:
        """The model on the device; a convolutional one (`conv=True`) in channels-last memory
        format on CUDA, which tensor-core convolutions run faster in (NCHW inputs still work)."""
        if conv and self.device.type == "cuda":
            return model.to(self.device, memory_format=torch.channels_last)
        return model.to(self.device)

    def step(self, optimizer: torch.optim.Optimizer, loss: torch.Tensor, clip: tuple | None = None) -> None:
        """zero_grad, backward, (clip `(params, max_norm)`), step: through the GradScaler under fp16."""
        if self.scaler is None:
            return step(optimizer, loss, clip)
        optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if clip:
            self.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(*clip)
        self.scaler.step(optimizer)
        self.scaler.update()

    def saved(self, key: str, default=None):
        """A plain value the last checkpoint kept (`report(keep=...)`), or `default`."""
        return (self.restored or {}).get("keep", {}).get(key, default)

    @property
    def last(self) -> bool:
        return self.epoch == self.total

    def start(self) -> None:
        """Before the first epoch (`epochs()` calls it): the checkpoint's RNG states back, after
        the study has built (and drawn its initial weights); `fail_always` raises here."""
        if self.restored:
            set_rng_state(self.restored["rng"], self.generator, self.rng)
        arm = str(self.config.get("arm") or "")
        if self.config["fail_always"] and arm in str(self.config["fail_always"]).split(","):
            raise InjectedFault(f"fail_always: arm {arm} fails at every attempt")

    def epochs(self) -> Iterator[int]:
        """The epochs left: after the checkpoint's up to `epochs`; stops after a report that
        diverged or stopped early."""
        self.start()
        for epoch in range(self.first_epoch + 1, self.total + 1):
            self.epoch = epoch
            yield epoch
            if self.stopped:
                break

    def report(self, metrics: dict, *, finite=(), diverged: bool = False, early_stopped: bool | None = None,
               keep: dict | None = None, extra: dict | None = None, images=None) -> None:
        """Report this epoch with the reserved keys and checkpoint it. `finite`: values that must
        be finite (else the trial has diverged); `keep`: plain values resume needs (`saved()`);
        `extra`: what the figures read from the last checkpoint; `images`: a function returning
        {tag: (H, W, C) uint8} previews (trainables/previews.py), called only at the epochs that
        keep images (the first, a middle and the last) and never in the result's metrics."""
        diverged = bool(diverged) or not is_finite(*finite)
        stop = diverged or bool(early_stopped)
        for schedule in self.schedules:  # the next epoch's rate, kept by this checkpoint
            schedule.step()
        out = {"epoch": self.epoch, **metrics, "device": self.device_label, "diverged": diverged,
               "done_training": self.last or bool(early_stopped)}
        if early_stopped is not None:
            out["early_stopped"] = bool(early_stopped)
        state = {"objects": {k: o.state_dict() for k, o in self.objects.items()},
                 "rng": rng_state(self.generator, self.rng), "epoch": self.epoch, "config": self.config,
                 "keep": keep or {}, **(extra or {})}
        if images is not None and self.epoch in image_epochs(self.total) and self.session.wants_images:
            self.session.report(out, state, images=check_images(images()))
        else:
            self.session.report(out, state)
        if self.epoch == self.config["fail_at_epoch"]:
            raise InjectedFault(f"fail_at_epoch: failing once after epoch {self.epoch}")
        self.stopped = stop


def step(optimizer: torch.optim.Optimizer, loss: torch.Tensor, clip: tuple | None = None) -> None:
    """One gradient step on `loss` (clipping `(params, max_norm)` first, if given), without a
    Run: what `Run.step` does when no GradScaler is in use."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip:
        torch.nn.utils.clip_grad_norm_(*clip)
    optimizer.step()


def trainable(defaults: dict, load: Callable[[dict], Any]):
    """`@trainable(DEFAULTS, load_data)` over `def train_x(run)`: the result is the usual
    `train_x(config, session=None, data=None) -> session`, with `.defaults` (every key it accepts)
    and `.faults` (the fault-injection keys, which the runner lets `--set` reach)."""
    def wrap(body: Callable[[Run], None]):
        @functools.wraps(body)
        def train(config: dict, session: Session | None = None, data=None) -> Session:
            run = Run(config, session, data, defaults, load)
            body(run)
            return run.session
        train.defaults = {**LOOP_DEFAULTS, **defaults}
        train.faults = dict(FAULTS)
        return train
    return wrap


# ---------------------------------------------------------------- RNG states as plain values

def rng_state(generator: torch.Generator, rng: np.random.Generator) -> dict:
    """Every RNG a trial draws from, as tensors and plain values (a checkpoint loads without
    unpickling any object)."""
    key, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, py_gauss = random.getstate()
    return {"torch": torch.get_rng_state(), "generator": generator.get_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": {"key": key, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                      "has_gauss": int(has_gauss), "gauss": float(gauss)},
            "python": {"version": version, "internal": list(internal), "gauss": py_gauss},
            "rng": rng.bit_generator.state}


def set_rng_state(state: dict, generator: torch.Generator, rng: np.random.Generator) -> None:
    torch.set_rng_state(state["torch"])
    generator.set_state(state["generator"])
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state((n["key"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss"]))
    rng.bit_generator.state = state["rng"]
