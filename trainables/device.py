"""Where a trial computes: the one device helper every trainable uses."""
from __future__ import annotations

import platform

import torch


def pick_device(name: str = "auto") -> torch.device:
    """`auto`: the GPU Ray (or the host) gives this process if there is one, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


AMP = {"off": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def amp_dtype(setting: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype of the `amp` setting: `auto` is bf16 on CUDA (tensor cores, float32's
    range, so no loss scaling) and off on the CPU (CPU results stay exactly float32's);
    `off` / `bf16` / `fp16` say it outright (fp16 trains with a GradScaler; CUDA only)."""
    if setting == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    if setting not in AMP:
        raise ValueError(f"amp must be auto, off, bf16 or fp16, not {setting!r}")
    if AMP[setting] is torch.float16 and device.type != "cuda":
        raise ValueError("amp=fp16 needs CUDA (use off or bf16 on the CPU)")
    return AMP[setting]


def tune_backend(device: torch.device) -> None:
    """cuDNN picks the fastest kernel per input shape once; every study's batches have fixed shapes
    (a last, smaller batch costs one more search)."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True


def device_label(device: torch.device) -> str:
    """What the `device` key of every report says: "cuda:0 (NVIDIA H100 ...)" or "CPU (x86_64), 2 thread(s)"."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return f"CPU ({platform.processor() or platform.machine()}), {torch.get_num_threads()} thread(s)"


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work, so that wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def to_float(x_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float in [0, 1]."""
    return x_uint8.float().div_(255.0)
