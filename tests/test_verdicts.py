"""The verdict rules themselves, on synthetic results with known answers (no Ray): effects with
intervals against a smallest effect of interest, equivalence, too few seeds, trends, Holm's
correction, intervals bounded by the metric's range, and a choice of nuisance setting that does
not depend on the order trials finished in."""
import numpy as np
import pandas as pd
import pytest

from analysis import findings as F
from analysis.report import ACCURACY, Column, ReportSpec
from analysis.summary import Summary, stat
from analysis.table import build

COLUMN = "best_val_acc"
PTS = 1.0  # smallest effect of interest: 1 accuracy point


def summary(arms: dict[str, list[float]], lrs=(1e-3,), select_epoch=1) -> Summary:
    """One completed trial per (arm, seed, lr); `arms[arm][seed]` is its accuracy in [0, 1] for the
    first lr (later lrs score 0.01 less), and its value at the selection epoch too."""
    trials, history = [], []
    for arm, values in arms.items():
        for seed, v in enumerate(values):
            for i, lr in enumerate(lrs):
                tid = f"{arm}_{seed}_{i}"
                acc = v - 0.01 * i
                trials.append({"trial_id": tid, "arm": arm, "seed": seed, "status": "completed",
                               "config/lr": lr, COLUMN: acc, "best_val_acc_x": acc})
                history += [{"trial_id": tid, "arm": arm, "seed": seed, "epoch": e, "val_acc": acc}
                            for e in (1, 2)]
    return Summary(pd.DataFrame(trials), pd.DataFrame(history), "val_acc", "max", list(arms),
                   select_epoch=select_epoch, nuisance=["lr"])


def judged(*found):
    return F.judge(list(found))


def higher(s, sesoi=PTS):
    return F.higher("a beats b", s, "a", "b", COLUMN, sesoi, "test", 100, "points")


# ---------------------------------------------------------------- the verdict rules

def test_a_clear_effect_in_the_reports_direction_is_reproduced():
    s = summary({"a": [0.90, 0.91, 0.93, 0.92], "b": [0.80, 0.82, 0.81, 0.80]})
    (f,) = judged(higher(s))
    assert f.verdict == F.REPRODUCED
    assert f.effect == pytest.approx(10.75)          # points, paired over the 4 shared seeds
    assert 0 < f.interval[0] < f.effect < f.interval[1]
    assert f.n_seeds == 4 and f.sesoi == PTS and f.seeds_needed is None
    assert "paired t" in f.comparisons[0].method


def test_the_opposite_direction_is_not_reproduced():
    s = summary({"a": [0.80, 0.82, 0.81], "b": [0.90, 0.91, 0.93]})
    (f,) = judged(higher(s))
    assert f.verdict == F.NOT_REPRODUCED
    assert f.interval[1] < 0


def test_equivalence_inside_the_margin_is_not_reproduced_but_a_wide_interval_is_inconclusive():
    b = 0.9 + np.array([0.002, -0.001, 0.003, 0.0, -0.002, 0.001, 0.0, 0.002])
    d = np.array([0.001, -0.001, 0.0015, -0.0015, 0.0005, -0.0005, 0.001, -0.001])  # mean 0
    s = summary({"a": list(b + d), "b": list(b)})
    (f,) = judged(higher(s))
    assert f.verdict == F.NOT_REPRODUCED                         # TOST: within +-1 point
    assert -PTS < f.interval[0] and f.interval[1] < PTS
    noisy = summary({"a": [0.90, 0.85, 0.95], "b": [0.89, 0.92, 0.86]})
    (g,) = judged(higher(noisy))
    assert g.verdict == F.INCONCLUSIVE
    assert g.interval[0] < 0 < PTS < g.interval[1]
    assert g.seeds_needed is not None and g.seeds_needed > 3


def test_a_real_effect_smaller_than_the_sesoi_is_reproduced_but_smaller_than_it_matters():
    s = summary({"a": [0.903, 0.913, 0.923, 0.933], "b": [0.90, 0.91, 0.92, 0.93]})
    (f,) = judged(higher(s))                         # 0.3 points, exactly: real but below 1 point
    assert f.interval[0] > 0 and f.interval[1] < PTS
    assert f.verdict == F.SMALL and f.direction == "the report's direction"


def test_too_few_seeds_is_inconclusive_and_says_so():
    (f,) = judged(higher(summary({"a": [0.95], "b": [0.50]})))
    assert f.verdict == F.INCONCLUSIVE and f.n_seeds == 1 and f.interval is None
    assert f.effect == pytest.approx(45.0)           # the effect is still shown
    (g,) = judged(higher(summary({"a": [0.90, 0.80], "b": [0.84, 0.86]})))
    assert g.verdict == F.INCONCLUSIVE and g.seeds_needed > 2


def test_unpaired_arms_use_welch():
    s = summary({"a": [0.90, 0.91, 0.92], "b": [0.80]})
    c = F.difference("a − b", {0: 90, 1: 91, 2: 92}, {5: 80, 6: 81, 7: 79}, +1, PTS)
    assert c.method.startswith("Welch") and c.effect == pytest.approx(11.0)
    (f,) = judged(higher(s))
    assert f.verdict == F.INCONCLUSIVE               # b has one seed: no interval


def test_similar_is_reproduced_by_tost_and_not_reproduced_outside_the_margin():
    same = summary({"a": [0.900, 0.910, 0.920, 0.930], "b": [0.901, 0.909, 0.921, 0.929]})
    (f,) = judged(F.similar("a and b alike", same, "a", "b", COLUMN, PTS, "test", 100))
    assert f.verdict == F.REPRODUCED
    apart = summary({"a": [0.90, 0.91, 0.92, 0.93], "b": [0.80, 0.81, 0.82, 0.83]})
    (g,) = judged(F.similar("a and b alike", apart, "a", "b", COLUMN, PTS, "test", 100))
    assert g.verdict == F.NOT_REPRODUCED


def test_a_bound_one_arm_must_stay_below():
    low = summary({"z": [0.10, 0.11, 0.098]})
    (f,) = judged(F.at_most("stays at chance", low, "z", COLUMN, 15, "1.5 x chance", 100))
    assert f.verdict == F.REPRODUCED and f.effect == pytest.approx(15 - 10.2667, abs=1e-3)
    high = summary({"z": [0.90, 0.95, 0.93]})
    (g,) = judged(F.at_most("stays at chance", high, "z", COLUMN, 15, "1.5 x chance", 100))
    assert g.verdict == F.NOT_REPRODUCED


def test_trends_get_an_interval_and_the_same_rules():
    xs = np.repeat([0.01, 0.03, 0.1, 0.3, 1.0], 3)
    falling = -np.log10(xs) + np.tile([0.0, 0.01, -0.01], 5)  # loss falls as lr rises
    down = judged(F.trend("falls", xs, falling, -1, "loss vs lr", 0.5, "test"))[0]
    assert down.verdict == F.REPRODUCED and down.effect > 0.9 and down.interval[0] > 0
    up = judged(F.trend("falls", xs, -falling, -1, "loss vs lr", 0.5, "test"))[0]
    assert up.verdict == F.NOT_REPRODUCED and up.interval[1] < 0
    flat = judged(F.trend("falls", xs[:6], np.array([1, 3, 2, 2, 1, 3.0]), -1, "x", 0.5, "test"))[0]
    assert flat.verdict == F.INCONCLUSIVE and flat.seeds_needed is not None


def test_holm_adjusts_pvalues_and_can_change_a_verdict():
    assert F.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(F.holm([np.nan, 0.02])[0]) and F.holm([np.nan, 0.02])[1] == pytest.approx(0.02)

    def one(effect):  # t = effect / 1 on 9 df against a SESOI of 1
        c = F.Comparison("x", F.DIRECTION, effect, 1.0, 9, 1.0, 10, "test")
        return F.finding(f"effect {effect}", [c], 1.0, "test", "")
    alone = judged(one(2.8))[0]                       # one-sided p = 0.0104 < 0.025
    assert alone.verdict == F.REPRODUCED
    family = judged(one(2.8), one(0.1), one(0.2))     # Holm: 3 x 0.0104 > 0.025
    assert family[0].verdict == F.INCONCLUSIVE
    assert family[0].comparisons[0].p_yes == pytest.approx(3 * alone.comparisons[0].p_yes)


def test_a_claim_of_several_comparisons_needs_every_one():
    s = summary({"a": [0.90, 0.91, 0.93, 0.92], "b": [0.80, 0.82, 0.81, 0.80], "c": [0.95, 0.96, 0.97, 0.95]})
    parts = [F.higher("", s, "a", other, COLUMN, PTS, "test", 100) for other in ("b", "c")]
    (f,) = judged(F.all_of("a is best", parts))
    assert f.verdict == F.NOT_REPRODUCED and len(f.comparisons) == 2
    assert f.interval[1] < 0                          # the deciding comparison: a vs c


def test_stated_findings_keep_their_verdict():
    (f,) = judged(F.stated("ResNet50 is better", F.INCONCLUSIVE, "not run in this profile"))
    assert f.verdict == F.INCONCLUSIVE and f.effect is None and "not run" in f.evidence


# ---------------------------------------------------------------- intervals and tables

def test_an_interval_never_leaves_the_metrics_range():
    x = stat([0.10, 0.97, 0.84], bounds=ACCURACY)
    unclipped = stat([0.10, 0.97, 0.84])
    assert unclipped.lo < 0 and unclipped.hi > 1   # the smoke table's "63.8 ± 115.1"
    assert (x.lo, x.hi) == (0.0, 1.0)
    assert x.text(100, ".1f") == "63.7 [0.0, 100.0] (10.0, 97.0, 84.0)"


def test_the_table_shows_the_setting_per_seed_values_and_bounded_intervals():
    s = summary({"a": [0.10, 0.97, 0.84], "b": [0.50, 0.52, 0.51]}, lrs=(1e-3, 3e-3))
    spec = ReportSpec("T", [Column("acc (%)", COLUMN, scale=100, fmt=".1f", bounds=ACCURACY)],
                      findings=lambda s: [])
    text, frame = build(spec, s, {"metric": "val_acc", "max_epochs": 2, "seeds": [0, 1, 2]})
    row = frame.set_index("arm").loc["a"]
    assert row["setting"] == "lr=0.001"
    assert (row[f"{COLUMN}_lo"], row[f"{COLUMN}_hi"]) == (0.0, 100.0)
    assert row[f"{COLUMN}_seeds"] == "10.0 97.0 84.0"
    assert "| a | lr=0.001 | 63.7 [0.0, 100.0] (10.0, 97.0, 84.0) |" in text


# ---------------------------------------------------------------- choosing the nuisance setting

def test_the_choice_is_made_at_the_selection_epoch_and_ignores_row_order():
    trials = pd.DataFrame([
        # seed 0: lr 1e-3 is best at epoch 1, lr 3e-3 better at the end: 1e-3 is chosen
        {"trial_id": "t1", "arm": "a", "seed": 0, "status": "completed", "config/lr": 1e-3, COLUMN: 0.90},
        {"trial_id": "t2", "arm": "a", "seed": 0, "status": "completed", "config/lr": 3e-3, COLUMN: 0.95},
        # seed 1: a tie at epoch 1 goes to the first setting of the grid
        {"trial_id": "t3", "arm": "a", "seed": 1, "status": "completed", "config/lr": 3e-3, COLUMN: 0.91},
        {"trial_id": "t4", "arm": "a", "seed": 1, "status": "completed", "config/lr": 1e-3, COLUMN: 0.90},
        # seed 2: the chosen trial diverged after the selection epoch: that seed is missing
        {"trial_id": "t5", "arm": "a", "seed": 2, "status": "diverged", "config/lr": 3e-3, COLUMN: 0.1},
        {"trial_id": "t6", "arm": "a", "seed": 2, "status": "stopped_early", "config/lr": 1e-3, COLUMN: 0.5},
    ])
    at1 = {"t1": 0.6, "t2": 0.5, "t3": 0.6, "t4": 0.6, "t5": 0.7, "t6": 0.4}
    history = pd.DataFrame([{"trial_id": t, "epoch": 1, "val_acc": v} for t, v in at1.items()]
                           + [{"trial_id": "t2", "epoch": 2, "val_acc": 0.95}])
    for order in (trials, trials.iloc[::-1], trials.sample(frac=1, random_state=1)):
        s = Summary(order, history, "val_acc", "max", ["a"], select_epoch=1, nuisance=["lr"])
        assert s.chosen["trial_id"].tolist() == ["t1", "t4"]
        assert s.unfinished["trial_id"].tolist() == ["t5"]
        assert s.setting("a") == "lr=0.001"


# ---------------------------------------------------------------- --until-settled rounds

def test_rounds_add_seeds_only_to_the_arms_of_inconclusive_findings():
    from studies.settle import next_round
    s = summary({"a": [0.90, 0.85, 0.95], "b": [0.89, 0.92, 0.86], "c": [0.5, 0.51, 0.52],
                 "d": [0.90, 0.91, 0.92]})
    found = judged(higher(s),                                        # a vs b: inconclusive
                   F.higher("d beats c", s, "d", "c", COLUMN, PTS, "test", 100),   # settled
                   F.stated("not run here", F.INCONCLUSIVE, "no weights offline"))  # seeds can't help
    assert [f.verdict for f in found] == [F.INCONCLUSIVE, F.REPRODUCED, F.INCONCLUSIVE]
    assert next_round(found, ["a", "b", "c", "d"], have=3, max_seeds=10) == (["a", "b"], 6)
    assert next_round(found, ["a", "b", "c", "d"], have=6, max_seeds=8) == (["a", "b"], 8)
    assert next_round(found, ["a", "b", "c", "d"], have=8, max_seeds=8) is None
    assert next_round(found[1:], ["a", "b", "c", "d"], have=3, max_seeds=10) is None
    # a trend names no arms: every arm gets the seeds
    xs = np.repeat([1.0, 2.0, 3.0], 2)
    trend = judged(F.trend("falls", xs, np.array([1, 3, 2, 2, 1, 3.0]), -1, "x", 0.5, "test"))
    assert next_round(trend, ["a", "b"], have=2, max_seeds=10) == (["a", "b"], 4)
