"""PerArmASHA's stop rule without a running Ray: a trial stops at or after the selection rung once
another trial of its (arm, seed) group did better there, or as well with a setting first in grid
order (the analysis's tie-break), in whichever order the trials arrive; never across groups."""
from __future__ import annotations

from types import SimpleNamespace

from ray.tune.schedulers import TrialScheduler

from studies.per_arm import PerArmASHA

STOP, GO = TrialScheduler.STOP, TrialScheduler.CONTINUE


def trial(tid, lr, arm="a", seed=0):
    return SimpleNamespace(trial_id=tid, config={"arm": {"name": arm}, "seed": seed, "lr": lr})


def scheduler(mode="max"):
    s = PerArmASHA("epoch", 2, ("lr",))
    s.set_search_properties("acc", mode)
    return s


def test_before_the_rung_nothing_stops_and_the_better_one_goes_on():
    s, a, b = scheduler(), trial("a", 1e-3), trial("b", 3e-3)
    assert s.on_trial_result(None, a, {"epoch": 1, "acc": 0.1}) == GO
    assert s.on_trial_result(None, a, {"epoch": 2, "acc": 0.5}) == GO
    assert s.on_trial_result(None, b, {"epoch": 2, "acc": 0.7}) == GO
    assert s.on_trial_result(None, a, {"epoch": 3, "acc": 0.9}) == STOP  # beaten at the rung: later results don't count


def test_a_tie_goes_to_the_first_setting_in_grid_order_whichever_arrives_first():
    for first, second in (("small", "large"), ("large", "small")):
        s = scheduler()
        trials = {"small": trial("s", 1e-4), "large": trial("l", 1e-2)}
        got = {first: s.on_trial_result(None, trials[first], {"epoch": 2, "acc": 0.1})}
        got[second] = s.on_trial_result(None, trials[second], {"epoch": 2, "acc": 0.1})
        assert got["small"] == GO
        # the larger rate stops at its first result once the smaller one has tied it
        assert STOP in (got["large"], s.on_trial_result(None, trials["large"], {"epoch": 3, "acc": 0.1}))
        assert s.on_trial_result(None, trials["small"], {"epoch": 3, "acc": 0.1}) == GO


def test_groups_are_judged_apart_and_min_mode_prefers_lower():
    s = scheduler("min")
    assert s.on_trial_result(None, trial("a", 1e-3, arm="x"), {"epoch": 2, "acc": 5.0}) == GO
    assert s.on_trial_result(None, trial("b", 3e-3, arm="y"), {"epoch": 2, "acc": 1.0}) == GO  # another arm
    assert s.on_trial_result(None, trial("c", 3e-3, arm="x"), {"epoch": 2, "acc": 1.0}) == GO
    assert s.on_trial_result(None, trial("a", 1e-3, arm="x"), {"epoch": 3, "acc": 0.5}) == STOP
