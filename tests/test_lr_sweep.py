"""The learning-rate study (Figure 1): its grid of rates with full curves, and Optuna + ASHA."""
import pandas as pd

from tests.conftest import check_findings, run_study


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
