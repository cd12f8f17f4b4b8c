"""Trivial baselines and tuning/training flags in the tables and findings (analysis/flags.py,
analysis/table.py), on synthetic trials, history and manifest with known answers. Ray-free."""
import json

import pandas as pd
import pytest

from analysis import baselines, flags, table
from analysis.findings import INCONCLUSIVE, REPRODUCED, higher, trend
from analysis.report import ACCURACY, Column, ReportSpec, spec_for
from analysis.summary import Summary
from analysis.verdicts import judged

GRID = [0.001, 0.003, 0.01]


def run(curves: dict, baseline: float | None = 0.5, search: str = "grid",
        baseline_name: str = "logistic regression on raw pixels"):
    """curves: (arm, seed, lr) -> val_acc per epoch. The winner of each (arm, seed) is the trial with
    the best value at epoch 1 (the selection epoch)."""
    trials, history = [], []
    for i, ((arm, seed, lr), curve) in enumerate(curves.items()):
        tid = f"t{i}"
        trials.append({"trial_id": tid, "arm": arm, "seed": seed, "status": "completed", "epochs": len(curve),
                       "config/lr": lr, "best_val_acc": max(curve), "final_val_acc": curve[-1]})
        history += [{"trial_id": tid, "arm": arm, "seed": seed, "epoch": e + 1, "val_acc": v}
                    for e, v in enumerate(curve)]
    rows = [{"name": "majority class", "val_acc": 0.1}]
    if baseline is not None:
        rows.append({"name": baseline_name, "val_acc": baseline})
    m = {"study": "synthetic", "metric": "val_acc", "mode": "max", "arms": {"a": {}, "b": {}},
         "seeds": [0, 1, 2], "select_epoch": 1, "max_epochs": 6, "profile": "smoke",
         "args": {"search": search},
         "nuisance": {"lr": {"grid": GRID, "dist": "float loguniform(0.001, 0.01)"}},
         "directions": {"val_acc": "max"},
         "baselines": {"rows": baselines.for_table(spec_for("lr_sweep"), rows, {"a": {}, "b": {}}, {}), "seconds": 0.1}}
    return Summary.from_manifest(pd.DataFrame(trials), pd.DataFrame(history), m), m


def flat(v):
    return [v - 0.05, v, v, v, v, v]  # learned in the first epochs, then flat


def arms(a=0.80, b=0.70, lr_a=0.003, lr_b=0.003, curve=flat):
    """Two arms, 3 seeds, each seed tuned over the grid; the chosen lr has the best epoch-1 value."""
    out = {}
    for arm, level, lr_win in (("a", a, lr_a), ("b", b, lr_b)):
        for seed in range(3):
            for lr in GRID:
                v = level + 0.01 * seed - (0 if lr == lr_win else 0.2)
                out[(arm, seed, lr)] = curve(v)
    return out


SPEC = ReportSpec("synthetic", [Column("best val. accuracy (%)", "best_val_acc", scale=100, fmt=".1f",
                                       bounds=ACCURACY)],
                  lambda s: [higher("a beats b", s, "a", "b", "best_val_acc", 1.0, "1 point", 100, "points")])


def test_only_a_baseline_that_learns_nothing_makes_a_finding_inconclusive():
    s, _ = run(arms(), baseline=0.5)
    [ok] = judged(SPEC, s)
    assert ok.verdict == REPRODUCED and not ok.caveat          # both arms beat 0.5: judged as tested
    s, _ = run(arms(), baseline=0.75)                          # b (0.71) below a learned reference:
    [f] = judged(SPEC, s)                                      # it stands beside the arms, blocks nothing
    assert f.verdict == REPRODUCED and not f.caveat
    assert list(flags.shortfalls(s, s.manifest)) == ["b"] and flags.shortfalls(s, s.manifest, True) == {}
    s, _ = run(arms(), baseline=0.75, baseline_name="majority class (stand-in that learns nothing)")
    [f] = judged(SPEC, s)                                      # b did not learn the task
    assert f.verdict == INCONCLUSIVE
    assert f.caveat == "inconclusive: below the trivial baseline"
    assert "b below the trivial baseline on best_val_acc" in f.evidence and "a below" not in f.evidence
    assert "the test alone said reproduced" in f.evidence


def test_a_mean_that_hides_seeds_below_the_baseline_is_flagged_with_the_count():
    """Arm b's mean (0.62) beats the 0.55 baseline, but 2 of its 3 seeds (0.50, 0.51) are below it,
    lifted by one seed at 0.85: flagged with the count. Arm a, every seed above, is not."""
    curves = arms(a=0.80, b=0.50)
    for lr in GRID:  # seed 2 of b far above the others
        curves[("b", 2, lr)] = flat(0.85 - (0 if lr == 0.003 else 0.2))
    s, m = run(curves, baseline=0.55, baseline_name="majority class (stand-in that learns nothing)")
    short = flags.shortfalls(s, m)
    assert list(short) == ["b"] and short["b"][0].below == 2 and short["b"][0].seeds == 3
    assert s.stat("b", "best_val_acc").mean > 0.55  # the mean alone would not have seen it
    [f] = judged(SPEC, s)
    assert "2 of 3 seeds below" in f.evidence


def test_a_grid_edge_blocks_only_the_verdicts_its_arm_could_change():
    s, m = run(arms(lr_a=0.01, lr_b=0.003))
    edges = flags.grid_edges(s, m)
    assert set(edges) == {"a"} and "lr=0.01 at the upper edge" in edges["a"] and "(3/3 seeds)" in edges["a"]
    [f] = judged(SPEC, s)  # a, claimed higher, could only get better: the verdict can only strengthen
    assert f.verdict == REPRODUCED and "flags that cannot change this verdict: a at a grid edge" in f.evidence
    s, m = run(arms(lr_a=0.003, lr_b=0.01))
    [f] = judged(SPEC, s)  # b, claimed lower, could catch up by an unknown amount
    assert f.verdict == INCONCLUSIVE and "b at a grid edge" in f.evidence
    s, m = run(arms(lr_a=0.001, lr_b=0.003))
    assert "lower edge" in flags.grid_edges(s, m)["a"]


def test_a_still_improving_arm_moves_the_verdict_only_by_what_its_curve_has_left():
    slowing = lambda v: [v - 0.16, v - 0.08, v - 0.04, v - 0.02, v - 0.01, v]  # halves each epoch
    assert flags.remaining_gain(slowing(0.7), "max") == pytest.approx(0.01)  # 0.005 + 0.0025 + ...
    assert flags.remaining_gain([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "max") == float("inf")  # not slowing
    curves = {k: (slowing(c[-1]) if k[0] == "b" else c) for k, c in arms().items()}
    s, m = run(curves)
    assert set(flags.still_improving(s, m)) == {"b"}
    [f] = judged(SPEC, s)  # b has ~1 point left at most; a leads by ~10: the verdict stands
    assert f.verdict == REPRODUCED and "b still improving" in f.evidence
    close = {k: (slowing(c[-1]) if k[0] == "b" else c) for k, c in arms(a=0.705, b=0.70).items()}
    s, m = run(close)
    [f] = judged(SPEC, s)  # a half-point lead (smaller than it matters), b may gain a point: cannot tell
    assert f.verdict == INCONCLUSIVE and "the test alone said reproduced, smaller than it matters" in f.evidence


def test_optuna_edge_is_the_outer_tenth_of_the_log_range():
    nuisance = {"grid": GRID, "dist": "float loguniform(0.001, 0.01)"}
    assert flags._edge(0.0011, nuisance, optuna=True) == "lower"       # 4% of the log range
    assert flags._edge(0.003, nuisance, optuna=True) is None           # 48%
    assert flags._edge(0.0095, nuisance, optuna=True) == "upper"       # 98%


def test_a_still_improving_curve_is_flagged_and_a_flat_one_is_not():
    assert flags.still_improving_curve([0.5, 0.6, 0.7, 0.8, 0.85, 0.9], "max")
    assert not flags.still_improving_curve([0.5, 0.8, 0.8, 0.8, 0.8, 0.8], "max")
    assert not flags.still_improving_curve([0.8, 0.8, 0.8, 0.8, 0.802, 0.801], "max")  # within 1%
    assert flags.still_improving_curve([1.0, 0.8, 0.6, 0.5], "min")     # a loss still falling
    assert not flags.still_improving_curve([0.5, 0.6, 0.7, 0.8], "min")  # a loss rising is not improving
    rising = lambda v: [v - 0.25, v - 0.2, v - 0.15, v - 0.1, v - 0.05, v]
    s, m = run(arms(curve=rising))
    assert set(flags.still_improving(s, m)) == {"a", "b"}
    [f] = judged(SPEC, s)
    assert f.verdict == INCONCLUSIVE and "still improving at its last epoch" in f.evidence
    assert f.caveat == "inconclusive: tuning or training not enough to judge"
    s, m = run(arms())
    assert flags.still_improving(s, m) == {}


def test_a_flag_makes_inconclusive_only_the_findings_on_its_arm():
    """b still improving, a flat: a trend within a (it names its arm) is judged; one over every arm
    (no arms named: the arms are its points) rests on b too and is not."""
    rising = lambda v: [v - 0.25, v - 0.2, v - 0.15, v - 0.1, v - 0.05, v]
    curves = {k: (rising(c[-1]) if k[0] == "b" else c) for k, c in arms().items()}
    s, m = run(curves)
    assert set(flags.still_improving(s, m)) == {"b"}
    xs, ys = [1, 2, 3, 4, 5, 6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    spec = ReportSpec("synthetic", SPEC.columns, lambda s: [
        trend("within a", xs, ys, +1, "y vs x", 0.3, "rho 0.3", arms=("a",)),
        trend("over every arm", xs, ys, +1, "y vs x", 0.3, "rho 0.3")])
    within, every = judged(spec, s)
    assert within.verdict == REPRODUCED and not within.caveat
    assert every.verdict == INCONCLUSIVE and "b still improving" in every.evidence


def test_the_baseline_row_is_in_table_md_and_csv(tmp_path):
    s, m = run(arms(lr_a=0.01), baseline=0.75)
    table.write(SPEC, s, m, tmp_path)
    md = (tmp_path / "table.md").read_text().splitlines()
    row = next(line for line in md if line.startswith("| trivial baseline (logistic regression on raw pixels)"))
    assert row.split(" | ")[2:4] == ["75.0", "—"]                      # this run's column; no report value
    arm_b = next(line for line in md if line.startswith("| b |"))
    assert "below trivial baseline on best_val_acc" in arm_b
    arm_a = next(line for line in md if line.startswith("| a |"))
    assert "grid edge" in arm_a and "below" not in arm_a
    csv = pd.read_csv(tmp_path / "table.csv")
    base = csv[csv["kind"] == "trivial baseline"].set_index("label")
    assert base.loc["trivial baseline (logistic regression on raw pixels)", "best_val_acc_mean"] == pytest.approx(75.0)
    assert base.loc["trivial baseline (majority class)", "best_val_acc_mean"] == pytest.approx(10.0)


def test_exploration_rows_stand_beside_the_arms_of_their_environment():
    rows = [{"name": "CartPole-v1: uniform random policy", "env": "CartPole-v1", "mean_return": 21.9}]
    arms_ = {"q_eps": {"agent": "q"}, "dqn_eps": {"agent": "dqn"}}
    [r] = baselines.for_table(spec_for("exploration"), rows, arms_, {"env": "FrozenLake-v1", "dqn_env": "CartPole-v1"})
    assert r["arms"] == ["dqn_eps"] and r["values"] == {"final_mean_return": 21.9, "final_greedy_return": 21.9}
    assert not baselines.trivial("reference (not trivial): bag-of-words") and baselines.trivial("majority class")


def test_record_caches_and_never_stops_a_study(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path))
    from types import SimpleNamespace

    import numpy as np
    data = SimpleNamespace(arrays={"series": np.arange(48, dtype=float)}, info={"sha256_16": "x"})
    first = baselines.record(spec_for("window_size"), data, {"test_months": 6}, {"w1": {}})
    again = baselines.record(spec_for("window_size"), data, {"test_months": 6}, {"w1": {}})
    assert not first["cached"] and again["cached"] and again["rows"] == first["rows"]
    assert first["rows"][0]["values"]["final_test_rmse"] == pytest.approx(1.0)
    json.dumps(first)  # goes into manifest.json
    broken = baselines.record(spec_for("window_size"), SimpleNamespace(arrays={}, info={}), {}, {})
    assert broken["rows"] == [] and "KeyError" in broken["error"]
