"""The learning-rate study (Figure 1): its grid of rates with full curves, and Optuna + ASHA."""
import dataclasses

import pandas as pd
import pytest

from analysis import flags, table
from analysis.findings import INCONCLUSIVE, REPRODUCED
from analysis.report.lr_sweep import SPEC as LR_SPEC
from analysis.verdicts import judged
from tests.conftest import check_findings, run_study
from tests.test_baselines_in_tables import SPEC, arms, run


def test_grid_gives_a_full_curve_per_rate(smoke_run):
    out = smoke_run("lr_sweep")
    trials = pd.read_parquet(out / "trials.parquet")
    assert sorted(trials["config/lr"]) == [0.03, 0.3]
    assert (trials["status"] == "completed").all() and (trials["epochs"] == 2).all()
    assert (out / "figures" / "loss_per_learning_rate.png").exists()
    found = check_findings(out, seeds=1)
    assert len(found) == 2  # two rates, one seed: too few points for a rank interval
    assert {f.verdict for f in found.values()} == {"inconclusive"}
    assert "| lr=0.3 |" in (out / "table.md").read_text()


def test_optuna_draws_log_uniform_rates_and_asha_judges_them(ray_local, tmp_path):
    out = run_study("lr_sweep", tmp_path, "--search", "optuna", "--num-samples", "4",
                    "--max-concurrent", "2")
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 4 and trials["config/lr"].nunique() == 4
    assert trials["config/lr"].between(1e-3, 1.0).all()
    assert (trials["status"] == "completed").any()
    assert set(trials["status"]) <= {"completed", "stopped_early", "diverged"}


def test_a_storage_uri_gets_the_trials_and_the_outputs(ray_local, tmp_path, monkeypatch):
    """A bucket URI goes to Ray as it is; the outputs are built locally and pushed beside the
    trial folders (file:// stands in for s3:// here: the same pyarrow filesystem code path)."""
    monkeypatch.chdir(tmp_path)
    uri = f"file://{tmp_path}/bucket"
    run_study("lr_sweep", tmp_path, "--storage-path", uri, "--set", "epochs=1")
    remote = tmp_path / "bucket" / "lr_sweep"
    assert len(list(remote.glob("*/result.json"))) == 2
    for name in ("trials.parquet", "history.parquet", "table.md", "findings.md", "manifest.json",
                 "figures/loss_per_learning_rate.png"):
        assert (remote / name).exists(), name
    assert (tmp_path / "results" / "lr_sweep" / "table.md").exists()  # the local copy


def test_an_expected_flag_stays_in_the_table_with_its_reason_but_does_not_decide_the_finding(tmp_path):
    """lr_sweep's arms are the rates: a slow constant rate still improving is the claim's slower
    convergence. A spec that names the kind keeps the flag (with the reason) and judges the finding;
    a spec that does not (every other study) is unchanged."""
    rising = lambda v: [v - 0.25, v - 0.2, v - 0.15, v - 0.1, v - 0.05, v]
    s, m = run(arms(curve=rising))
    [plain] = judged(SPEC, s)
    assert plain.verdict == INCONCLUSIVE and "still improving" in plain.evidence
    expecting = dataclasses.replace(SPEC, expected_flags={"still improving": "the claim is about speed"})
    [f] = judged(expecting, s)
    assert f.verdict == REPRODUCED and not f.caveat
    table.write(expecting, s, m, tmp_path)
    row = next(line for line in (tmp_path / "table.md").read_text().splitlines() if line.startswith("| a |"))
    assert "still improving (expected here: the claim is about speed): val_acc still improving" in row
    # other kinds still decide it: an arm below a baseline that learns nothing still makes it inconclusive
    s, _ = run(arms(curve=rising), baseline=0.75, baseline_name="majority class")
    [f] = judged(expecting, s)
    assert f.verdict == INCONCLUSIVE and "below the trivial baseline" in f.caveat
    with pytest.raises(ValueError, match="unknown flag kind"):
        flags.apply([], s, {"still improvin": "typo"})
    assert set(LR_SPEC.expected_flags) <= set(flags.KINDS)
