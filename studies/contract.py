"""The rules every study follows, checked when it starts (before its data loads or Ray starts),
so a mistake is one line now instead of a traceback or a silent `n/a` after a long run.

A study's trainable `train_x` declares two things (at the bottom of its module):
  - `train_x.defaults`: every config key it accepts, with its default (data loader keys included);
  - `train_x.metrics`: every numeric metric it reports -> "min" or "max" (which way is better).
Besides those metrics a report may carry the reserved per-epoch keys below.

Checked: the trainable declares both; the study's metric is one it reports; every arm, fixed and
nuisance key of the search space is one it accepts; the report spec (analysis/report/<study>.py)
loads, and every column it tabulates and every column its findings compare is a trials.parquet
column this trainable produces."""
from __future__ import annotations

import difflib

# Per-epoch keys with a fixed meaning for the analysis (analysis/trials.py):
RESERVED = {
    "epoch": "the epoch just finished, from 1 (ASHA's time attribute)",
    "diverged": "a non-finite loss or a collapse: the trial stops, counted as diverged",
    "done_training": "the last epoch of the budget",
    "early_stopped": "the trial's own early stopping (patience) ended it: counted as completed",
    "device": "where the trial ran, e.g. 'cpu', 'cuda:0 (NVIDIA H100)'",
}
# Config keys the runner and the Tune glue set or read for every study; the runner sets the first
# four itself (from the arms, --seeds and --profile), so `--set` may not.
SET_BY_RUNNER = {"arm": "the arms", "name": "the arms", "seed": "--seeds", "profile": "--profile"}
RUNNER_KEYS = {*SET_BY_RUNNER, "checkpoint_every"}
# trials.parquet columns that are not a metric (analysis/trials.py `load`).
TRIAL_COLUMNS = {"trial_id", "arm", "seed", "status", "epochs", "stopped_early", "wall_s", "folder"}
MODES = ("min", "max")
COST = "cost"  # a time or throughput: reported (final_), never a "best" of it


class ContractError(Exception):
    """The study breaks its contract: one line per violation, exit status 2."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def _name(train) -> str:
    return getattr(train, "__name__", repr(train))


def accepted(train) -> dict:
    """Every config key a study's trials may carry: the trainable's and the runner's."""
    return {**{k: None for k in RUNNER_KEYS}, **getattr(train, "defaults", {})}


def directions(study) -> dict[str, str]:
    """metric -> "min"/"max": the trainable's declarations, the study's own metric by Study.mode."""
    return {**getattr(study.train, "metrics", {}), study.metric: study.mode}


def _hint(key: str, known) -> str:
    near = difflib.get_close_matches(key, sorted(known), n=1)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _unknown(key: str, known, what: str) -> str:
    return f"{what}: unknown key {key!r}{_hint(key, known)}"


def key_violations(train, space) -> list[str]:
    """Arm, fixed and nuisance keys the trainable does not accept (it would silently ignore them)."""
    known, name = accepted(train), _name(train)
    out = [_unknown(k, known, f"arm {arm!r}") + f", not a setting of {name}"
           for arm, settings in space.arms.items() for k in settings if k not in known]
    out += [_unknown(k, known, "search space") + f", not a setting of {name}"
            for k in [*space.fixed, *space.nuisance] if k not in known]
    return out


def source_ok(column: str, train, metrics: dict) -> bool:
    """Whether `column` is a trials.parquet column a run of this trainable has."""
    if column in TRIAL_COLUMNS:
        return True
    if column.startswith("config/"):
        return column.split("/")[1] in accepted(train)
    if column.startswith("final_") and column[len("final_"):] in metrics:
        return True
    for prefix in ("epoch_of_best_", "best_"):  # a best (and its epoch) only of a min/max metric
        if column.startswith(prefix) and metrics.get(column[len(prefix):]) in MODES:
            return True
    return False


class _Recorder:
    """Stands in for analysis.summary.Summary with no trial at all, and records which columns
    a report's findings ask for: every finding must cope with an empty run anyway."""

    def __init__(self, summary_cls, study, arms):
        import pandas as pd
        self._inner = summary_cls(pd.DataFrame(columns=["trial_id", "arm", "seed", "status"]),
                                  pd.DataFrame(columns=["trial_id", "arm", "seed", "epoch"]),
                                  study.metric, study.mode, arms)
        self.asked: list[str] = []

    def stat(self, arm, column):
        self.asked.append(column)
        return self._inner.stat(arm, column)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def finding_sources(spec, study, arms) -> list[str]:
    """The columns the findings compare, found by judging an empty run (a finding that fails on
    one is not checked further here; the tests judge every finding on a real run)."""
    from analysis.summary import Summary
    recorder = _Recorder(Summary, study, arms)
    try:
        spec.findings(recorder)
    except Exception:  # report code on no data: the columns asked so far still count
        pass
    return list(dict.fromkeys(recorder.asked))


def violations(study, space, spec=None) -> list[str]:
    """Every way `study` (with this search space) breaks the contract, one line each."""
    train, name = study.train, _name(study.train)
    out = []
    for attr in ("defaults", "metrics"):
        if not isinstance(getattr(train, attr, None), dict):
            out.append(f"{name} declares no `{name}.{attr}` dict (see studies/contract.py)")
    if out:
        return out
    metrics = train.metrics
    out += [f"{name}.metrics[{m!r}] = {d!r}: must be 'min', 'max' or 'cost'" for m, d in metrics.items()
            if d not in (*MODES, COST)]
    if study.mode not in MODES:
        out.append(f"study {study.name}: mode {study.mode!r} must be 'min' or 'max'")
    if study.metric not in metrics:
        out.append(f"study {study.name}: metric {study.metric!r} is not one {name} reports"
                   f"{_hint(study.metric, metrics)}")
    out += key_violations(train, space)
    if spec is None:
        from analysis.report import spec_for
        try:
            spec = spec_for(study.name)
        except Exception as err:  # any failure to load the spec (import, syntax, name) is this line
            return out + [f"report spec analysis/report/{study.name}.py does not load: "
                          f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"]
    valid = ({f"final_{m}" for m in metrics} | {f"best_{m}" for m, d in metrics.items() if d in MODES}
             | {f"epoch_of_best_{m}" for m, d in metrics.items() if d in MODES} | TRIAL_COLUMNS | {"chosen"})
    for col in spec.columns:
        if not source_ok(col.source, train, metrics):
            out.append(f"report column {col.label!r} reads {col.source!r}, which a {name} run does not "
                       f"have{_hint(col.source, valid)}")
    for source in finding_sources(spec, study, list(space.arms)):
        if not source_ok(source, train, metrics):
            out.append(f"a finding of analysis/report/{study.name}.py compares {source!r}, which a {name} "
                       f"run does not have{_hint(source, valid)}")
    return out


def check(study, space, spec=None) -> None:
    """Raise ContractError listing every violation."""
    found = violations(study, space, spec)
    if found:
        raise ContractError(found)
