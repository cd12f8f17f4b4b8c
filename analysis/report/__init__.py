"""What the report says for each study: its table's numbers, its findings, its figures.
One module per study, named as the study; each defines `SPEC`."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Column:
    label: str                      # as the table heads it
    source: str                     # a trials.parquet column, e.g. "best_val_acc"
    report: dict = field(default_factory=dict)   # arm -> the report's value (in table units)
    scale: float = 1.0              # this run's value x scale = table units (e.g. 100 for %)
    fmt: str = ".3f"
    bounds: tuple = (float("-inf"), float("inf"))  # the metric's range (this run's units): intervals are clipped to it


@dataclass(frozen=True)
class ReportSpec:
    title: str                      # e.g. "Table 1: best validation accuracy per method"
    columns: list[Column]
    findings: Callable              # (Summary) -> {key: Finding}, unjudged: analysis.verdicts.judged judges them
    figures: list[Callable] = field(default_factory=list)   # (Summary, folder) -> Path
    arm_labels: dict = field(default_factory=dict)          # arm -> the report's name for it
    notes: list[str] = field(default_factory=list)
    study: str = ""                 # the study's name, as studies/registry.py lists it
    claims: tuple = ()              # the report's claims about this study (analysis.claims.Claim)
    # the study's trivial baselines: (data, fixed config) -> rows {"name", metric: value}
    # (analysis/baselines.py), and the table columns each metric stands beside: metric ->
    # [(trials.parquet column, "max"/"min": the better side, or None)], or a function of the metric
    baselines: Callable | None = None
    baseline_columns: dict | Callable = field(default_factory=dict)
    # (row, arms {name: config}, fixed config) -> the arms a baseline row stands beside (None: all)
    baseline_arms: Callable | None = None
    # flag kind -> why this study's claim is about it (analysis.flags): shown beside the flag, and
    # that kind does not make the findings inconclusive; empty for every study but lr_sweep
    expected_flags: dict = field(default_factory=dict)


ACCURACY = (0.0, 1.0)           # bounds for accuracies, rates and shares
NON_NEGATIVE = (0.0, float("inf"))   # errors, losses, times


def spec_for(study: str) -> ReportSpec:
    try:
        return importlib.import_module(f"analysis.report.{study}").SPEC
    except ModuleNotFoundError:
        raise ValueError(f"no report spec for study {study!r} (analysis/report/{study}.py)") from None
