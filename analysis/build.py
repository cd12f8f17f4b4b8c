"""Everything a study leaves beside Ray's trial folders, built from stored results alone."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import figures, findings, manifest, md, table, trials
from analysis.report import spec_for
from analysis.summary import Summary
from analysis.verdicts import judged


@dataclass
class Outputs:
    folder: Path
    table: Path
    findings: Path
    figures: list[Path]

    def listing(self) -> list[Path]:
        f = self.folder
        return [f / "trials.parquet", f / "history.parquet", self.table, f / "table.csv",
                self.findings, *self.figures, f / "manifest.json"]


def from_experiment(out_dir: Path) -> Outputs:
    """After a run: trial folders -> Parquet, then the rest."""
    m = manifest.read(out_dir)
    trials.export(out_dir, out_dir, m["max_epochs"], manifest.directions(m))
    return from_parquet(out_dir)


def all_errored(t: pd.DataFrame) -> str:
    """A note when every trial errored: how many, and each distinct error with its count."""
    if t.empty or not (t["status"] == "errored").all():
        return ""
    errors = t["error"].fillna("") if "error" in t else pd.Series([""] * len(t))
    lines = [f"- {n} trial(s): {md.code(e) if e else 'no error message stored'}"
             for e, n in errors.value_counts().items()]
    return (f"**Every trial errored ({len(t)} of {len(t)}): this run has no result to compare.** "
            f"The errors (the last line of each trial's error.txt):\n" + "\n".join(lines))


def from_parquet(out_dir: Path) -> Outputs:
    """`python -m analysis DIR`: table, findings and figures from the stored Parquet."""
    out_dir = Path(out_dir)
    m = manifest.read(out_dir)
    if not (out_dir / "trials.parquet").exists():
        trials.export(out_dir, out_dir, m["max_epochs"], manifest.directions(m))
    t = pd.read_parquet(out_dir / "trials.parquet")
    h = pd.read_parquet(out_dir / "history.parquet")
    spec = spec_for(m["study"])
    s = Summary.from_manifest(t, h, m)
    table_path = table.write(spec, s, m, out_dir)
    findings_path = out_dir / "findings.md"
    findings_path.write_text(findings.markdown(spec.title, judged(spec, s)))
    note = all_errored(t)
    if note:  # say why every number is missing, in both files people read, under their titles
        for path in (table_path, findings_path):
            title, _, rest = path.read_text().partition("\n")
            path.write_text(f"{title}\n\n{note}\n{rest}")
    fig_dir = out_dir / "figures"
    made = [figures.curves_per_arm(s, fig_dir)] + [make(s, fig_dir) for make in spec.figures]
    return Outputs(out_dir, table_path, findings_path, [p for p in made if p])
