"""The report's table rebuilt: arms as rows, this run's value beside the report's."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import flags as checks
from analysis.report import ReportSpec
from analysis.summary import Summary


def data_line(data: dict, device: str | None = None) -> str:
    line = f"Data: {data.get('name', '?')} (source: {data.get('source', '?')}, sha256 {data.get('sha256_16', '?')})"
    if data.get("stand_in_for"):
        line += f" — a STAND-IN for the report's {data['stand_in_for']}"
    return line + (f". Device: {device}." if device else ".")


def _bound_text(bounds, scale: float) -> str:
    lo, hi = (b * scale for b in bounds)
    return ("(-∞" if lo == float("-inf") else f"[{lo:g}") + (", ∞)" if hi == float("inf") else f", {hi:g}]")


def _baseline_note(manifest: dict) -> str:
    b = manifest.get("baselines")
    if not b:
        return "Trivial baseline: none recorded in manifest.json (a run from before they were)."
    if b.get("error"):
        return f"Trivial baseline: not computed ({b['error']})."
    return ("Trivial baseline rows: computed from this run's data in the driver before the trials "
            f"(analysis/baselines.py{', read from the cache' if b.get('cached') else ''}; "
            f"{b.get('seconds', 0):.1f} s); a model must beat every trivial row on a column for the "
            "findings comparing arms on it to count; a row named reference or ceiling is shown, not a bar.")


def build(spec: ReportSpec, s: Summary, manifest: dict) -> tuple[str, pd.DataFrame]:
    rows, md = [], []
    head = ["arm", "chosen setting"] + [h for c in spec.columns for h in (f"{c.label} (this run)", f"{c.label} (report)")]
    head += ["trials (completed / stopped early / errored / diverged)", "flags"]
    arm_flags = checks.arm_flags(s, manifest, spec.expected_flags)
    for arm in s.arms:
        t = s.trials[s.trials["arm"] == arm]
        counts = "/".join(str(int((t["status"] == k).sum())) for k in ("completed", "stopped_early", "errored", "diverged"))
        label = spec.arm_labels.get(arm, arm)
        setting = s.setting(arm)
        cells, record = [label, setting], {"arm": arm, "label": label, "setting": setting}
        for c in spec.columns:
            x = s.stat(arm, c.source, c.bounds)
            ref = c.report.get(arm)
            cells += [x.text(c.scale, c.fmt), "—" if ref is None else format(ref, c.fmt) if isinstance(ref, float) else str(ref)]
            record.update({f"{c.source}_mean": x.mean * c.scale, f"{c.source}_lo": x.lo * c.scale,
                           f"{c.source}_hi": x.hi * c.scale, f"{c.source}_n": x.n,
                           f"{c.source}_seeds": " ".join(format(v * c.scale, c.fmt) for v in x.values),
                           f"{c.source}_report": ref})
        cells += [counts, "; ".join(arm_flags.get(arm, [])) or "—"]
        record["kind"] = "arm"
        record["flags"] = " | ".join(arm_flags.get(arm, []))
        # how many trials stopped early depends on which arrived first: table.md only, so that
        # table.csv is the same whatever the concurrency
        record["trials"] = len(t)
        rows.append(record)
        md.append("| " + " | ".join(cells) + " |")
    for row in checks.baseline_rows(manifest):
        name = f"trivial baseline ({row['name']})" if row.get("trivial") else row["name"]
        if row.get("arms") is not None:
            name += f" — beside {', '.join(row['arms']) or 'no arm'}"
        cells, record = [name, "—"], {"arm": "", "label": name, "setting": "",
                                      "kind": "trivial baseline" if row.get("trivial") else "reference"}
        for c in spec.columns:
            v = row["values"].get(c.source)
            cells += ["—" if v is None else format(v * c.scale, c.fmt), "—"]
            record[f"{c.source}_mean"] = None if v is None else v * c.scale
        cells += ["—", "—"]
        rows.append(record)
        md.append("| " + " | ".join(cells) + " |")
    h = s.history
    stopped = "early_stopped" in h and bool(h["early_stopped"].fillna(False).astype(bool).any())
    devices = sorted(h["device"].dropna().astype(str).unique()) if "device" in h else []
    bounded = [f"{c.label} {_bound_text(c.bounds, c.scale)}" for c in spec.columns if c.bounds != (float("-inf"), float("inf"))]
    select = (f"chosen in each (arm, seed) group by {manifest.get('metric')} at epoch "
              f"{s.select_epoch} (the first rung, which every trial reaches; ties: the first setting of "
              f"the grid) and compared at the full budget" if s.select_epoch is not None else
              f"each arm at its best nuisance setting by {manifest.get('metric')}")
    text = [f"# {spec.title}", "",
            data_line(manifest.get("data", {}), manifest.get("driver_device")),
            *([f"Trials ran on: {', '.join(devices)}."] if devices else []),
            f"Profile: {manifest.get('profile')}; seeds: {len(manifest.get('seeds', []))}; "
            f"nuisance setting {select}, over trials that "
            f"ran the full {manifest.get('max_epochs')} epochs"
            f"{' or were ended by their own early stopping' if stopped else ''}.",
            "Cells: mean [95% t-interval over seeds, clipped to the metric's range"
            f"{' (' + '; '.join(bounded) + ')' if bounded else ''}] (the value of each seed, in seed order).", "",
            "| " + " | ".join(head) + " |", "|" + " --- |" * len(head), *md]
    if len(s.unfinished):
        text += ["", "Chosen at the selection epoch but not finished (errored or diverged later; left out): "
                 + ", ".join(f"{r.arm} seed {r.seed} ({r.status})" for r in s.unfinished.itertuples())]
    text += ["", "Trial counts: how many trials ASHA stopped early depends on which finished their "
             "first rung first; the chosen settings and every value above do not."]
    text += ["", _baseline_note(manifest), "", checks.RULES.format(metric=s.metric)]
    text += [""] + [f"Note: {n}" for n in spec.notes]
    return "\n".join(text) + "\n", pd.DataFrame(rows)


def write(spec: ReportSpec, s: Summary, manifest: dict, out_dir: Path) -> Path:
    text, frame = build(spec, s, manifest)
    frame.to_csv(Path(out_dir) / "table.csv", index=False)
    path = Path(out_dir) / "table.md"
    path.write_text(text)
    return path
