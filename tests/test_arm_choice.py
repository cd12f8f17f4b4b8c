"""The same command gives the same table and verdicts whatever the concurrency: each arm's
nuisance setting is chosen at a rung every trial reaches, and pruning never stops the trial that
will be chosen (studies/per_arm.py, analysis/summary.py). Real Ray Tune, smoke profile."""
import pandas as pd

from tests.conftest import run_study

TIMING = ("wall_s", "epoch_s", "ms_per", "images_per_s")


def test_concurrency_one_and_two_give_the_same_table_and_findings(ray_local, tmp_path):
    one = run_study("regularization", tmp_path, "--name", "c1", "--max-concurrent", "1")
    two = run_study("regularization", tmp_path, "--name", "c2", "--max-concurrent", "2")
    a, b = pd.read_csv(one / "table.csv"), pd.read_csv(two / "table.csv")
    keep = [c for c in a.columns if not any(t in c for t in TIMING)]
    pd.testing.assert_frame_equal(a[keep], b[keep])
    assert (one / "findings.md").read_text() == (two / "findings.md").read_text()
    # the chosen trial of every (arm, seed) ran the full budget in both runs
    for folder in (one, two):
        trials = pd.read_parquet(folder / "trials.parquet")
        assert a["setting"].notna().all() and (a["best_val_acc_n"] == 1).all()
        assert set(trials.loc[trials["status"] == "completed", "arm"]) == set(a["arm"])
