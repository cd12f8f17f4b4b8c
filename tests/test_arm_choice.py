"""The same command gives the same table and verdicts whatever the concurrency: each arm's
nuisance setting is chosen at a rung every trial reaches, and pruning never stops the trial that
will be chosen (studies/per_arm.py, analysis/summary.py). Real Ray Tune, smoke profile."""
import pandas as pd

from tests.conftest import check_findings, run_study

TIMING = ("wall_s", "epoch_s", "ms_per", "images_per_s")


def test_concurrency_one_and_two_give_the_same_table_and_findings(ray_local, tmp_path):
    one = run_study("regularization", tmp_path, "--name", "c1", "--max-concurrent", "1")
    two = run_study("regularization", tmp_path, "--name", "c2", "--max-concurrent", "2")
    a, b = pd.read_csv(one / "table.csv"), pd.read_csv(two / "table.csv")
    keep = [c for c in a.columns if not any(t in c for t in TIMING)]
    pd.testing.assert_frame_equal(a[keep], b[keep])
    assert (one / "findings.md").read_text() == (two / "findings.md").read_text()
    # the chosen trial of every (arm, seed) ran the full budget in both runs
    arms = a[a["kind"] == "arm"]  # the trivial-baseline rows have no setting
    for folder in (one, two):
        trials = pd.read_parquet(folder / "trials.parquet")
        assert arms["setting"].notna().all() and (arms["best_val_acc_n"] == 1).all()
        assert set(trials.loc[trials["status"] == "completed", "arm"]) == set(arms["arm"])


def test_until_settled_adds_seeds_in_rounds_and_resumes(ray_local, tmp_path):
    """Smoke window_size: two seeds leave both findings inconclusive (a tiny RNN, 4 epochs), so a
    round adds a third seed to the arms they compare; --resume with a higher limit goes on."""
    import json
    out = run_study("window_size", tmp_path, "--until-settled", "3")
    m = json.loads((out / "manifest.json").read_text())
    trials = pd.read_parquet(out / "trials.parquet")
    assert m["initial_seeds"] == [0, 1] and m["seeds"] == [0, 1, 2]
    assert m["rounds"][0]["seeds"] == [2]
    assert set(trials.loc[trials["seed"] == 2, "arm"]) == set(m["rounds"][0]["arms"])
    again = run_study("window_size", tmp_path, "--resume", "--until-settled", "4")
    m = json.loads((again / "manifest.json").read_text())
    trials = pd.read_parquet(again / "trials.parquet")
    assert m["seeds"] == [0, 1, 2, 3] and len(m["rounds"]) == 2 and len(m["resumes"]) == 1
    assert trials.groupby(["arm", "seed"]).size().max() == 1   # no seed ran twice
    found = check_findings(again, seeds=4)
    assert {f.n_seeds for f in found.values()} == {4}          # the verdicts rest on 4 seeds
