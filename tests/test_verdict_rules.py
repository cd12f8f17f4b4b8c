"""The rules of the verdict engine, each on a case where breaking it changes the answer, and a
small run of the simulation (benchmarks/verdicts.py) whose false-verdict rates must stay at 5%."""
from __future__ import annotations

import numpy as np
import pytest

from analysis import findings as F
from analysis import stats
from benchmarks import verdicts as sim
from tests.test_verdicts import COLUMN, summary


def _claim(s, a, b, name=None):
    return F.higher(name or f"{a} beats {b}", s, a, b, COLUMN, 1.0, "1 point", 100, "points")


def test_an_all_of_claim_is_an_intersection_union_test():
    # one part clearly for the claim, one with no effect: the claim is not shown
    s = summary({"a": [0.90, 0.91, 0.92, 0.93], "b": [0.80, 0.81, 0.82, 0.83],
                 "c": [0.900, 0.915, 0.918, 0.935], "d": [0.902, 0.911, 0.921, 0.930]})
    [f] = F.judge([F.all_of("both", [_claim(s, "a", "b"), _claim(s, "c", "d")])])
    assert f.verdict != F.REPRODUCED
    # no correction inside it: two strong parts give the same interval as either alone
    s2 = summary({"a": [0.90, 0.91, 0.92, 0.93], "b": [0.80, 0.81, 0.82, 0.85], "c": [0.90, 0.91, 0.92, 0.93],
                  "d": [0.80, 0.81, 0.82, 0.85]})
    [both] = F.judge([F.all_of("both", [_claim(s2, "a", "b"), _claim(s2, "c", "d")])])
    [alone] = F.judge([_claim(s2, "a", "b")])
    assert both.verdict == alone.verdict == F.REPRODUCED
    assert both.interval[0] == pytest.approx(alone.interval[0])


def test_the_interval_shown_is_the_one_the_verdict_used():
    s = summary({"a": [0.90, 0.91, 0.92, 0.93], "b": [0.80, 0.83, 0.79, 0.84],
                 "c": [0.85, 0.86, 0.87, 0.88], "d": [0.84, 0.86, 0.86, 0.86]})
    found = F.judge([_claim(s, "a", "b"), _claim(s, "c", "d")])
    for f in found:
        c = f.comparisons[0]
        raw_lo, raw_hi = f.raw_interval
        assert f.interval[0] <= raw_lo and f.interval[1] >= raw_hi  # adjusted: never narrower
        # its lower bound is above zero exactly when the adjusted p for the claim is below 2.5%
        assert (f.interval[0] > 0) == (c.p_yes < stats.ALPHA / 2)
        assert (f.interval[1] < 1.0) == (c.p_no < stats.ALPHA / 2)
    # Holm over 2 claims: the smaller p's interval is drawn at 2.5% / 2
    lead = min(found, key=lambda f: f.comparisons[0].raw_p()[0])
    c = lead.comparisons[0]
    lo, _ = stats.bounds(c.effect, c.se, c.df, stats.ALPHA / 4, stats.ALPHA / 2)
    assert lead.interval[0] == pytest.approx(lo)


def test_looking_after_each_round_widens_every_interval():
    s = summary({"a": [0.90, 0.91, 0.92], "b": [0.85, 0.88, 0.86]})
    [once] = F.judge([_claim(s, "a", "b")])
    [thrice] = F.judge([_claim(s, "a", "b")], looks=3)
    assert thrice.interval[0] < once.interval[0] and thrice.interval[1] > once.interval[1]
    assert "anytime-valid over 3 looks" in thrice.inference


def test_seeds_needed_are_planned_from_the_spread_not_the_effect():
    # two studies with the same spread and different effects plan the same seeds
    near = summary({"a": [0.905, 0.915, 0.92, 0.93], "b": [0.90, 0.905, 0.918, 0.925]})
    shifted = summary({"a": [0.915, 0.925, 0.93, 0.94], "b": [0.90, 0.905, 0.918, 0.925]})
    [f], [g] = F.judge([_claim(near, "a", "b")]), F.judge([_claim(shifted, "a", "b")])
    assert f.comparisons[0].se == pytest.approx(g.comparisons[0].se)
    planned = [x.comparisons[0].seeds_needed() for x in (f, g)]
    assert planned[0] == planned[1] and planned[0] > 4


def test_a_bound_claim_can_be_refuted():
    s = summary({"a": [0.50, 0.52, 0.51]})
    [f] = F.judge([F.at_most("a stays near chance", s, "a", COLUMN, 15.0, "bound", 100, "points")])
    assert f.verdict == F.NOT_REPRODUCED and f.direction == stats.OPPOSITE


def test_grades_and_directions():
    assert stats.grade(0.5, 3.0, 1.0) == stats.REPRODUCED
    assert stats.grade(0.2, 0.8, 1.0) == stats.SMALL
    assert stats.grade(-3.0, -0.5, 1.0) == stats.NOT_REPRODUCED
    assert stats.grade(-0.5, 0.5, 1.0) == stats.NOT_REPRODUCED
    assert stats.grade(-0.5, 2.0, 1.0) == stats.INCONCLUSIVE
    assert stats.direction(-0.5, 0.5, 1.0) == stats.NO_EFFECT
    assert stats.direction(-3, -1, 1.0) == stats.OPPOSITE


def test_a_small_simulation_keeps_each_false_verdict_rate_at_five_percent():
    rows = sim.simulate(n=900, seed=3, flagged=8)
    for r in rows:  # the rate itself may be noisy: its interval must reach down to 5%
        assert r["false reproduced CI"][0] <= 0.05, r
        assert r["false not reproduced CI"][0] <= 0.05, r
    flagged = [r for r in rows if r["truth"] in ("still improving", "grid edge")]
    assert flagged and all(r["false reproduced"] <= 0.2 for r in flagged)  # without the flags: ~100%
    big = [r for r in rows if r["truth"] == "still improving, large effect" and "10 seeds" in r["design"]]
    assert big and big[0]["settled"] > 0.5  # a flag that cannot change the verdict blocks nothing
    settle = {r["design"]: r for r in rows if r["truth"] == "report size (+3)".split(" (")[0]}
    assert np.isfinite(list(settle.values())[0]["median seeds"])


def test_arms_that_share_their_noise_pool_it_and_an_arm_without_spread_keeps_its_own():
    from analysis.report import ReportSpec
    from analysis.verdicts import judged, residual_pool
    rng = np.random.default_rng(0)
    seed_effect = rng.normal(0, 0.01, 4)
    arms = {a: list(0.80 + 0.02 * i + seed_effect + rng.normal(0, 0.004, 4)) for i, a in enumerate("abcd")}
    arms["z"] = [0.10] * 4  # stuck at chance: no spread to pool
    s = summary(arms)
    s2, df, pooled_arms = residual_pool(s, COLUMN, list(s.arms), 100)
    assert pooled_arms == ("a", "b", "c", "d") and df == 3 * 3  # z, with no spread, keeps its own
    spec = ReportSpec("t", [], lambda s: [_claim(s, "d", "a")], study="")
    [f] = judged(spec, s)
    [alone] = F.judge([_claim(s, "d", "a")])
    c = f.comparisons[0]
    assert c.df == 9 and "pooled residual variance over 4 arms" in c.method
    assert c.se == pytest.approx(np.sqrt(2 * s2 / 4))
    assert alone.comparisons[0].df == 3


def test_an_arm_far_noisier_than_the_others_keeps_its_own_variance():
    from analysis.verdicts import residual_pool
    rng = np.random.default_rng(1)
    seed_effect = rng.normal(0, 0.005, 3)
    arms = {a: list(0.85 + seed_effect + rng.normal(0, 0.004, 3)) for a in "abcde"}
    arms["wild"] = [0.72, 0.59, 0.72]  # aggressive augmentation's spread in the local run
    _, df, pooled_arms = residual_pool(summary(arms), COLUMN, list(arms), 100)
    assert "wild" not in pooled_arms and df == (len(pooled_arms) - 1) * 2


def test_the_reports_effect_comes_from_its_numbers_and_a_word_in_its_table_is_skipped():
    from analysis.report import Column, ReportSpec
    from analysis.verdicts import judged
    s = summary({"a": [0.90, 0.91, 0.93, 0.92], "b": [0.80, 0.82, 0.81, 0.80]})
    spec = ReportSpec("t", [Column("acc", COLUMN, report={"a": 85.0, "b": 75.0}, scale=100)],
                      lambda s: [_claim(s, "a", "b")])
    [f] = judged(spec, s)
    assert f.report_effect == pytest.approx(10.0) and f.size.startswith("consistent")
    s.manifest = {"data": {"stand_in_for": "CIFAR-10"}}
    [g] = judged(spec, s)
    assert g.size.startswith("not comparable: this run's data stands in for CIFAR-10")
    words = ReportSpec("t", [Column("acc", COLUMN, report={"a": "plateau", "b": 75.0}, scale=100)],
                       lambda s: [_claim(s, "a", "b")])
    [h] = judged(words, s)
    assert h.report_effect is None and h.size == ""


def test_the_same_quantity_on_the_held_out_split_moves_with_the_metric():
    from analysis.flags import same_quantity
    assert same_quantity("val_mse") == {"best_val_mse", "final_val_mse", "best_test_mse", "final_test_mse"}
    assert same_quantity("mean_return") == {"best_mean_return", "final_mean_return"}
