"""manifest.json: what ran, from which code, on what data and software."""
from __future__ import annotations

import json
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "torchvision", "ray", "optuna", "numpy", "pandas", "pyarrow", "gymnasium",
            "scikit-image", "nltk", "tensorboard")


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, cwd=Path(__file__).parent, timeout=10)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _versions() -> dict:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def device_name() -> str:
    import torch
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.processor() or platform.machine()})"


def write(out_dir: Path, *, study, argv, args, space, data, metric, mode) -> Path:
    path = Path(out_dir) / "manifest.json"
    entry = {"command": " ".join(map(str, argv)), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "git_commit": _git_commit()}
    if args.get("resume") and path.exists():  # keep the original run's record, note the resume
        manifest = json.loads(path.read_text())
        manifest.setdefault("resumes", []).append(entry)
    else:
        manifest = {"study": study, **entry, "profile": args["profile"], "args": args,
                    "seeds": list(range(space.seeds)), "arms": space.arms, "fixed": space.fixed,
                    "nuisance": {k: {"grid": n.grid, "dist": repr(n.dist)} for k, n in space.nuisance.items()},
                    "max_epochs": space.max_epochs,
                    # the epoch at which each (arm, seed) group's nuisance setting is chosen
                    "select_epoch": min(space.grace_epochs, space.max_epochs), "metric": metric, "mode": mode, "data": data,
                    "python": platform.python_version(), "packages": _versions(),
                    "driver_device": device_name()}
    path.write_text(json.dumps(manifest, indent=2, default=str))
    return path


def read(out_dir: Path) -> dict:
    path = Path(out_dir) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{out_dir} has no manifest.json: not a study's results folder")
    return json.loads(path.read_text())
