"""The report's table rebuilt: arms as rows, this run's value beside the report's."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.report import ReportSpec
from analysis.summary import Summary


def data_line(data: dict, device: str | None = None) -> str:
    line = f"Data: {data.get('name', '?')} (source: {data.get('source', '?')}, sha256 {data.get('sha256_16', '?')})"
    if data.get("stand_in_for"):
        line += f" — a STAND-IN for the report's {data['stand_in_for']}"
    return line + (f". Device: {device}." if device else ".")


def build(spec: ReportSpec, s: Summary, manifest: dict) -> tuple[str, pd.DataFrame]:
    rows, md = [], []
    head = ["arm"] + [h for c in spec.columns for h in (f"{c.label} (this run)", f"{c.label} (report)")]
    head += ["trials (completed / stopped early / errored / diverged)"]
    for arm in s.arms:
        t = s.trials[s.trials["arm"] == arm]
        counts = "/".join(str(int((t["status"] == k).sum())) for k in ("completed", "stopped_early", "errored", "diverged"))
        label = spec.arm_labels.get(arm, arm)
        cells, record = [label], {"arm": arm, "label": label}
        for c in spec.columns:
            x = s.stat(arm, c.source)
            ref = c.report.get(arm)
            cells += [x.text(c.scale, c.fmt), "—" if ref is None else format(ref, c.fmt) if isinstance(ref, float) else str(ref)]
            record.update({f"{c.source}_mean": x.mean * c.scale, f"{c.source}_ci95": x.half_width * c.scale,
                           f"{c.source}_n": x.n, f"{c.source}_report": ref})
        cells.append(counts)
        record["trials"] = counts
        rows.append(record)
        md.append("| " + " | ".join(cells) + " |")
    h = s.history
    stopped = "early_stopped" in h and bool(h["early_stopped"].fillna(False).astype(bool).any())
    devices = sorted(h["device"].dropna().astype(str).unique()) if "device" in h else []
    text = [f"# {spec.title}", "",
            data_line(manifest.get("data", {}), manifest.get("driver_device")),
            *([f"Trials ran on: {', '.join(devices)}."] if devices else []),
            f"Profile: {manifest.get('profile')}; seeds: {len(manifest.get('seeds', []))}; "
            f"each arm at its best nuisance setting by {manifest.get('metric')}, over trials that "
            f"ran the full {manifest.get('max_epochs')} epochs"
            f"{' or were ended by their own early stopping' if stopped else ''}; "
            f"mean ± 95% t-interval (n seeds).", "",
            "| " + " | ".join(head) + " |", "|" + " --- |" * len(head), *md]
    text += [""] + [f"Note: {n}" for n in spec.notes]
    return "\n".join(text) + "\n", pd.DataFrame(rows)


def write(spec: ReportSpec, s: Summary, manifest: dict, out_dir: Path) -> Path:
    text, frame = build(spec, s, manifest)
    frame.to_csv(Path(out_dir) / "table.csv", index=False)
    path = Path(out_dir) / "table.md"
    path.write_text(text)
    return path
