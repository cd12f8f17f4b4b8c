"""Everything a study leaves beside Ray's trial folders, built from stored results alone."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis import figures, findings, md, table, trials
from analysis.study_result import StudyResult


@dataclass
class Outputs:
    folder: Path
    table: Path
    findings: Path
    figures: list[Path]
    result: StudyResult  # what they were built from: trials (with `chosen`), judged findings

    def listing(self) -> list[Path]:
        f = self.folder
        return [f / "trials.parquet", f / "history.parquet", self.table, f / "table.csv",
                self.findings, *self.figures, f / "manifest.json"]


def from_experiment(out_dir: Path) -> Outputs:
    """After a run: trial folders -> Parquet, then the rest."""
    return write(StudyResult.load(out_dir, export=True))


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
    return write(StudyResult.load(out_dir))


def write(r: StudyResult) -> Outputs:
    """table.md, table.csv, findings.md and the figures of a loaded study, beside its results."""
    out_dir, spec, s = r.folder, r.spec, r.summary
    # the trial each (arm, seed) group's numbers come from, marked where everything else reads it
    r.trials["chosen"] = r.trials["trial_id"].isin(s.chosen["trial_id"]) if len(s.chosen) else False
    trials.write(r.trials, out_dir / "trials.parquet", r.manifest.get("directions"))
    table_path = table.write(spec, s, r.manifest, out_dir)
    findings_path = out_dir / "findings.md"
    findings_path.write_text(findings.markdown(spec.title, r.findings))
    note = all_errored(r.trials)
    if note:  # say why every number is missing, in both files people read, under their titles
        for path in (table_path, findings_path):
            title, _, rest = path.read_text().partition("\n")
            path.write_text(f"{title}\n\n{note}\n{rest}")
    fig_dir = out_dir / "figures"
    made = [figures.curves_per_arm(s, fig_dir, labels=spec.arm_labels)] + [make(s, fig_dir) for make in spec.figures]
    return Outputs(out_dir, table_path, findings_path, [p for p in made if p], r)
