"""One stored study, loaded once: its manifest, its Parquet tables, its report spec, and the
findings judged on them. The analysis CLI, the report page, --until-settled and the benchmarks
all read a results folder through `StudyResult.load`."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from analysis import manifest, trials
from analysis.report import ReportSpec, spec_for
from analysis.summary import Summary

WALL_FILE = "wall_times.json"   # one entry per run or resume of a study: the cost report reads it
ROUND_MARK = "round_running.json"  # a round of --until-settled started and its outputs not yet built


def wall_seconds(out_dir: Path) -> float | None:
    """The study's wall time over every run and resume, None when never recorded."""
    path = Path(out_dir) / WALL_FILE
    try:
        return sum(float(r["wall_s"]) for r in json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def state(folder: Path) -> str:
    """complete (its outputs are built), interrupted (Tune state, no outputs, or a round of
    --until-settled not finished) or new."""
    folder = Path(folder)
    if (folder / ROUND_MARK).exists():
        return "interrupted"
    if (folder / "findings.md").exists() and (folder / "trials.parquet").exists() \
            and (folder / WALL_FILE).exists():
        return "complete"
    return "interrupted" if (folder / "tuner.pkl").exists() else "new"


@dataclass
class StudyResult:
    folder: Path
    manifest: dict
    trials: pd.DataFrame
    history: pd.DataFrame
    spec: ReportSpec = field(repr=False)

    @classmethod
    def load(cls, folder, export: bool = False) -> StudyResult:
        """A results folder as stored. `export`: re-read Ray's trial folders into the Parquet
        files first (after a run); without the Parquet files they are exported anyway.
        Errors: FileNotFoundError (not a results folder), ValueError (a damaged manifest, an
        unknown study), and pyarrow's own on a damaged Parquet file."""
        folder = Path(folder)
        m = manifest.read(folder)
        if export or not (folder / "trials.parquet").exists():
            trials.export(folder, folder, m["max_epochs"], manifest.directions(m), m.get("arm_defaults") or {})
        return cls(folder, m, pd.read_parquet(folder / "trials.parquet"),
                   pd.read_parquet(folder / "history.parquet"), spec_for(m["study"]))

    @property
    def study(self) -> str:
        return self.manifest["study"]

    @cached_property
    def summary(self) -> Summary:
        return Summary.from_manifest(self.trials, self.history, self.manifest)

    @cached_property
    def findings(self) -> list:
        """Judged as findings.md judges them: claims, the study's family, flags, the report's size."""
        from analysis.verdicts import judged
        return judged(self.spec, self.summary)

    @property
    def wall_s(self) -> float | None:
        return wall_seconds(self.folder)
