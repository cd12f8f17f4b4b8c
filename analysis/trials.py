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


def load(exp_dir: Path, max_epochs: int, directions: dict[str, str] | None = None,
         arm_defaults: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`directions`: metric -> "min"/"max" as the study declares them (default: those recorded in
    exp_dir's manifest.json); a metric without one gets no best_ column (never a guess from its
    name), only final_. `arm_defaults`: the value an arm setting has where an arm leaves it out
    (the trainable's default), so config/ columns say what each trial ran with (default: the
    manifest's)."""
    if directions is None:
        from analysis import manifest
        m = manifest.read(exp_dir)
        directions = manifest.directions(m)
        arm_defaults = m.get("arm_defaults") if arm_defaults is None else arm_defaults
    arm_defaults = arm_defaults or {}
    trials, history = [], []
    for params in sorted(Path(exp_dir).glob("*/params.json")):
        folder = params.parent
        config = {**arm_defaults, **flatten_arm(json.loads(params.read_text()))}  # arm settings as config keys
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
               "folder": folder.name, "error": (error_line(folder) or None) if status == "errored" else None}
        row.update({f"config/{k}": v for k, v in _flat("", config, {}).items()})
        metrics = [k for k, v in (last or {}).items()
                   if k not in SKIP and k != "epoch" and isinstance(v, (int, float)) and not isinstance(v, bool)]
        epochs = [r.get("epoch") for r in rows]
        for k in metrics:
            series = pd.Series([r.get(k) for r in rows], dtype="float64")
            if directions.get(k) in ("min", "max"):  # "cost" (seconds, images/s): no best of it
                row[f"best_{k}"] = series.min() if directions[k] == "min" else series.max()
                if series.notna().any():  # a trial that diverged at once has no finite value
                    at = series.idxmin() if directions[k] == "min" else series.idxmax()
                    row[f"epoch_of_best_{k}"] = epochs[at]
                else:
                    row[f"epoch_of_best_{k}"] = None
            row[f"final_{k}"] = series.iloc[-1]
        trials.append(row)
        for r in rows:
            history.append({"trial_id": trial_id, "arm": arm_name, "seed": config.get("seed"),
                            **{k: v for k, v in r.items() if k not in SKIP and not isinstance(v, dict)}})
    # columns even when no trial reported an epoch (every trial errored at once)
    return typed(pd.DataFrame(trials)), pd.DataFrame(history, columns=None if history else ["trial_id", "arm", "seed", "epoch"])


def typed(t: pd.DataFrame) -> pd.DataFrame:
    """Booleans as booleans (an arm setting given by some arms, defaulted in others, read back as
    objects), epochs as nullable integers, missing values as null."""
    for c in t.columns:
        values = t[c].dropna()
        if len(values) and t[c].dtype == object and values.map(lambda v: isinstance(v, bool)).all():
            t[c] = t[c].astype("boolean")
        elif c.startswith("epoch_of_best_"):
            t[c] = pd.to_numeric(t[c], errors="coerce").round().astype("Int64")
    return t


DESCRIPTIONS = {
    "trial_id": "Tune's trial id", "arm": "the compared method (the report's row)",
    "seed": "the replicate: fixes initialisation, data order and splits",
    "status": "completed, stopped_early (by ASHA), diverged or errored",
    "epochs": "epochs the trial ran", "stopped_early": "stopped by ASHA before its budget",
    "wall_s": "the trial's wall time, seconds", "folder": "the trial's folder beside this file",
    "error": "the exception line of an errored trial's error.txt (null otherwise)",
    "chosen": "the trial the analysis uses for its (arm, seed): the best nuisance setting at the selection "
              "epoch (manifest.json select_epoch), among trials that completed",
}


def describe(column: str, directions: dict) -> str:
    if column in DESCRIPTIONS:
        return DESCRIPTIONS[column]
    for prefix, text in (("config/", "the trial's setting {}"), ("epoch_of_best_", "the epoch of best_{}"),
                         ("final_", "{} at the trial's last epoch")):
        if column.startswith(prefix):
            return text.format(column[len(prefix):])
    if column.startswith("best_"):
        k = column[5:]
        return f"the best {k} over the trial's epochs ({'lowest' if directions.get(k) == 'min' else 'highest'})"
    return ""


def write(frame: pd.DataFrame, path: Path, directions: dict | None = None) -> None:
    """Parquet with each column's description in its field metadata (pyarrow: schema.field(c).metadata)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [f.with_metadata({"description": d}) if (d := describe(f.name, directions or {})) else f
              for f in table.schema]
    pq.write_table(table.cast(pa.schema(fields, metadata=table.schema.metadata)), path)


def export(exp_dir: Path, out_dir: Path, max_epochs: int, directions: dict[str, str] | None = None,
           arm_defaults: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    trials, history = load(exp_dir, max_epochs, directions, arm_defaults)
    if trials.empty:
        raise RuntimeError(f"no trial results under {exp_dir}")
    write(trials, Path(out_dir) / "trials.parquet", directions)
    write(history, Path(out_dir) / "history.parquet", directions)
    return trials, history
