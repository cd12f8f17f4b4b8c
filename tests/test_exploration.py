"""The exploration study (Section 6, Figures 8, 9) in the smoke profile, run by real Ray Tune on
a local Ray, and what it leaves: table rows for every arm, Parquet columns, findings, figures."""
import json

import pandas as pd
import pytest

from search_spaces.exploration import space
from tests.conftest import arm_rows, check_findings


@pytest.fixture(scope="module")
def exploration_run(smoke_run):
    return smoke_run("exploration")


def test_smoke_profile_is_small():
    s = space("smoke")
    assert len(s.arms) * s.seeds * len(s.nuisance["lr_scale"].grid) <= 8
    assert 1 <= s.seeds <= 2 and space("local").seeds >= 5
    assert space("local").fixed["temperature"] == 0.05 == space("full").fixed["dqn_temperature"]


def test_every_arm_has_its_curve_statistics_over_two_seeds(exploration_run):
    csv = arm_rows(exploration_run).reset_index()
    assert (csv["final_mean_return_n"] == 2).all()          # two seeds per arm
    for col in ("final_episodes_to_threshold", "final_auc", "final_roughness", "final_greedy_return"):
        assert csv[f"{col}_mean"].notna().all(), col
    # DQN on CartPole: every episode lasts at least a few steps, so block returns are > 1
    assert (csv.set_index("arm").loc[["dqn_eps", "dqn_softmax"], "final_mean_return_mean"] > 1).all()


def test_epsilon_decays_softmax_keeps_its_temperature_and_blocks_count_episodes(exploration_run):
    trials = pd.read_parquet(exploration_run / "trials.parquet")
    history = pd.read_parquet(exploration_run / "history.parquet")
    assert sorted(trials["seed"].unique()) == [0, 1]
    eps = history[history["arm"] == "q_eps"].sort_values(["trial_id", "epoch"])
    assert (eps.groupby("trial_id")["epsilon"].diff().dropna() < 0).all()   # epsilon decays
    soft = history[history["arm"] == "q_softmax"]
    assert (soft["temperature"] == 0.05).all() and soft["epsilon"].isna().all()
    q = history[history["arm"].str.startswith("q_")]
    assert (q["episodes"] == q["epoch"] * 30).all()
    assert history["success_rate"].between(0, 1).all()


def test_findings_figures_and_manifest(exploration_run):
    found = check_findings(exploration_run, seeds=2)
    findings = [f for f in found.values() if f.kind == "finding"]
    assert len(findings) == 8  # early rise, plateau, smoothness x2, convergence (greedy policy) x2 x2
    # convergence speed only by the greedy policy's return (issue 13), never the exploring one's
    assert all("greedy policy" in f.claim for f in findings if "converges" in f.claim)
    # judged over the two seeds, paired (or both arms censored: stated, not tested)
    assert all(f.n_seeds == 2 or "censored" in f.evidence for f in found.values() if f.kind == "finding")
    for name in ("q_learning_curves.png", "dqn_learning_curves.png"):
        assert (exploration_run / "figures" / name).stat().st_size > 10_000
    manifest = json.loads((exploration_run / "manifest.json").read_text())
    assert manifest["data"]["environments"]["q"]["id"] == "FrozenLake-v1"
    assert manifest["data"]["environments"]["dqn"]["id"] == "CartPole-v1"
