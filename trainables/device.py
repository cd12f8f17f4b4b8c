"""Where a trial computes: the one device helper every trainable uses."""
from __future__ import annotations

import platform

import torch


def pick_device(name: str = "auto") -> torch.device:
    """`auto`: the GPU Ray (or the host) gives this process if there is one, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


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
