"""Ray's trial folders -> trials.parquet (one row a trial) and history.parquet (one row an epoch).

Reads only what Ray stores in each trial folder (params.json, result.json, error files), so it
works on a finished, interrupted or resumed experiment alike, and needs no Ray."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from trainables.session import flatten_arm

SKIP = {"config", "date", "hostname", "node_ip", "pid", "timestamp", "time_this_iter_s",
        "iterations_since_restore", "time_since_restore", "checkpoint_dir_name", "should_checkpoint",
        "done", "done_training", "training_iteration", "time_total_s"}


LOWER_IS_BETTER = ("loss", "mse", "mae", "rmse", "error", "perplexity", "frechet", "jitter", "ms_per")


def lower_is_better(metric: str) -> bool:
    """Losses, errors and durations (`*_s`, seconds) are better low; everything else high."""
    return metric.endswith("_s") or any(word in metric for word in LOWER_IS_BETTER)


def _flat(prefix: str, value, out: dict) -> dict:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(f"{prefix}/{k}" if prefix else k, v, out)
    else:
        out[prefix] = value if isinstance(value, (int, float, str, bool, type(None))) else str(value)
    return out


def _results(folder: Path) -> list[dict]:
    path = folder / "result.json"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by a crash
            pass
    return rows


def _status(last: dict | None, max_epochs: int, folder: Path) -> str:
    if last and last.get("diverged"):
        return "diverged"
    if last and (last.get("epoch", 0) >= max_epochs or last.get("early_stopped")):
        return "completed"  # the full budget, or the trial's own early stopping (patience) ended it
    if any(folder.glob("error*")):
        return "errored"
    return "stopped_early" if last else "not_started"


def error_line(folder: Path) -> str:
    """The exception line (`Type: message`) at the end of a trial's error.txt, "" if none."""
    path = folder / "error.txt"
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    return next((line.strip() for line in reversed(lines) if line.strip() and not line[:1].isspace()), "")[:300]


def load(exp_dir: Path, max_epochs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    trials, history = [], []
    for params in sorted(Path(exp_dir).glob("*/params.json")):
        folder = params.parent
        config = flatten_arm(json.loads(params.read_text()))  # arm settings as plain config keys
        arm_name = config.get("arm")
        rows = _results(folder)
        by_epoch = {}
        for r in rows:  # a resumed trial may report an epoch twice: keep the last
            by_epoch[r.get("epoch", r.get("training_iteration"))] = r
        rows = [by_epoch[e] for e in sorted(by_epoch)]
        trial_id = rows[0]["trial_id"] if rows else folder.name.rsplit("_", 1)[-1]
        last = rows[-1] if rows else None
        status = _status(last, max_epochs, folder)
        row = {"trial_id": trial_id, "arm": arm_name, "seed": config.get("seed"), "status": status,
               "epochs": int(last["epoch"]) if last else 0,
               "stopped_early": status == "stopped_early",
               "wall_s": float(last.get("time_total_s", np.nan)) if last else np.nan,
               "folder": folder.name, "error": error_line(folder) if status == "errored" else ""}
        row.update({f"config/{k}": v for k, v in _flat("", config, {}).items()})
        metrics = [k for k, v in (last or {}).items()
                   if k not in SKIP and k != "epoch" and isinstance(v, (int, float)) and not isinstance(v, bool)]
        for k in metrics:
            series = pd.Series([r.get(k) for r in rows], dtype="float64")
            row[f"best_{k}"] = series.min() if lower_is_better(k) else series.max()
            row[f"final_{k}"] = series.iloc[-1]
        trials.append(row)
        for r in rows:
            history.append({"trial_id": trial_id, "arm": arm_name, "seed": config.get("seed"),
                            **{k: v for k, v in r.items() if k not in SKIP and not isinstance(v, dict)}})
    # columns even when no trial reported an epoch (every trial errored at once)
    return pd.DataFrame(trials), pd.DataFrame(history, columns=None if history else ["trial_id", "arm", "seed", "epoch"])


def export(exp_dir: Path, out_dir: Path, max_epochs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    trials, history = load(exp_dir, max_epochs)
    if trials.empty:
        raise RuntimeError(f"no trial results under {exp_dir}")
    trials.to_parquet(Path(out_dir) / "trials.parquet", index=False)
    history.to_parquet(Path(out_dir) / "history.parquet", index=False)
    return trials, history
