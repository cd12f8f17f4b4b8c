"""The budgeted report (studies/budget.py, analysis/settling.py): what a round is expected to
settle, which round is chosen, and a tiny budgeted report through real Ray whose rounds go only to
the arms of open claims and which stops within the budget plus one round."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.findings import FIXED, INCONCLUSIVE, REPRODUCED, difference, finding, judge
from analysis.settling import open_findings, settle_chance
from studies.budget import MIN_EXPECTED, Round, choose, parse_budget


def test_budgets_parse_as_wall_time_or_resource_hours():
    assert parse_budget("30m") == (1800, None) and parse_budget("1.5h") == (5400, None)
    assert parse_budget("90s") == (90, None) and parse_budget("8gpu-h") == (8 * 3600, "GPU")
    for bad in ("", "30", "-5m", "0m", "ten minutes", "3d"):
        with pytest.raises(ValueError, match="expected a positive time"):
            parse_budget(bad)


def _open(effect: float, sd: float, seeds: int = 3, sesoi: float = 1.0, arms=("a", "b")):
    """One judged 'a higher than b' finding from paired seeds with this mean difference and spread."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, seeds)
    noise = (noise - noise.mean()) / noise.std(ddof=1) * sd
    a = {k: 10 + effect + noise[k] for k in range(seeds)}
    b = {k: 10.0 for k in range(seeds)}
    from dataclasses import replace
    c = replace(difference("a - b", a, b, +1, sesoi), arms=arms)
    return judge([finding("a beats b", [c], sesoi, "why", "points")])[0]


def test_the_settle_chance_grows_with_seeds_and_with_the_effect_against_its_noise():
    wide = _open(effect=3.0, sd=3.0)
    assert wide.verdict == INCONCLUSIVE
    chances = [settle_chance(wide, n) for n in (4, 6, 12, 50)]
    assert chances == sorted(chances) and chances[-1] > 0.95 and chances[0] < 0.6
    # the same spread, an effect in the middle of the band: harder to settle at 6 seeds
    middle = _open(effect=0.5, sd=3.0)
    assert settle_chance(middle, 6) < settle_chance(wide, 6)


def test_a_finding_a_flag_holds_open_or_a_settled_one_gets_no_chance():
    open_one = _open(effect=3.0, sd=3.0)
    from dataclasses import replace
    assert settle_chance(replace(open_one, caveat="inconclusive: below the trivial baseline"), 50) == 0.0
    assert settle_chance(replace(open_one, verdict=REPRODUCED), 50) == 0.0
    stated = replace(open_one, comparisons=(replace(open_one.comparisons[0], kind=FIXED),))
    assert settle_chance(stated, 50) == 0.0


def test_the_arms_of_a_round_are_those_of_the_open_findings_only():
    open_one = _open(effect=3.0, sd=3.0)
    settled = _open(effect=6.0, sd=0.3, arms=("c", "d"))
    assert settled.verdict == REPRODUCED
    arms, chances = open_findings([open_one, settled], ["a", "b", "c", "d"], 6)
    assert arms == ["a", "b"] and [f.claim for f, _ in chances] == ["a beats b"]


def test_the_round_chosen_settles_most_per_second_among_those_that_fit():
    cheap = Round("x", ("a",), 3, 6, 1.0, 100.0, ("c1",))
    better = Round("y", ("a",), 3, 6, 3.0, 200.0, ("c2",))
    huge = Round("z", ("a",), 3, 6, 9.0, 400.0, ("c3",))
    useless = Round("w", ("a",), 3, 6, MIN_EXPECTED / 2, 1.0, ("c4",))
    assert choose([cheap, better, huge, useless], left_s=1000, slots=2).study == "z"
    assert choose([cheap, better, huge, useless], left_s=150, slots=2).study == "y"   # z's 200 s do not fit
    assert choose([cheap, better], left_s=150, slots=2, overhead={"y": 60}).study == "x"
    assert choose([useless], left_s=1000, slots=2) is None


BUDGET = "120s"


def test_a_tiny_budgeted_report_rounds_only_open_claims_and_stops_within_budget_plus_a_round(ray_local, tmp_path):
    """window_size in smoke: 2 seeds leave its findings open, so rounds follow the first round
    until the budget is spent (or nothing more can settle); each round's arms are recomputed from the findings judged on
    the trials that existed before it."""
    from analysis.study_result import StudyResult
    from analysis.summary import Summary
    from analysis.verdicts import judged
    from studies.report import RUN_FILE, make_report
    said = []
    # 2 minutes: the first round leaves room for rounds even when another test process shares the
    # cores (under `make test`'s two, a 60 s budget was once spent by the first round alone)
    make_report(tmp_path, "smoke", ("window_size",), tmp_path / "report", log=said.append, budget=BUDGET)
    ledger = json.loads((tmp_path / "budget.json").read_text())
    assert ledger["rounds"], said
    print(f"\n[budget] {ledger['stopped']} after {ledger['spent_s']:.0f} s, {len(ledger['rounds'])} rounds")
    if ledger["stopped"] == "budget spent":
        assert ledger["spent_s"] <= ledger["budget_s"] + max(r["took_s"] for r in ledger["rounds"])
    else:  # every open finding's arms reached the seed limit before the budget was spent
        assert ledger["stopped"].startswith("nothing more can settle") and ledger["spent_s"] <= ledger["budget_s"]
    result = StudyResult.load(tmp_path / "window_size")
    m = result.manifest
    assert [r["arms"] for r in m["rounds"]] == [list(r["arms"]) for r in ledger["rounds"]]
    for r in ledger["rounds"]:
        before = result.trials[result.trials["seed"] < r["seeds_from"]]
        s = Summary.from_manifest(before, result.history[result.history["trial_id"].isin(before["trial_id"])], m)
        found = judged(result.spec, s)
        arms, chances = open_findings(found, list(m["arms"]), r["seeds_to"])
        assert list(r["arms"]) == arms and arms
        assert {f.claim for f, _ in chances} == set(r["open_claims"])
        assert all(f.verdict == INCONCLUSIVE for f, _ in chances)
        ran = result.trials[result.trials["seed"].between(r["seeds_from"], r["seeds_to"] - 1)]
        assert set(ran["arm"]) == set(arms)                      # no trial of another arm
    assert pd.read_parquet(tmp_path / "window_size" / "trials.parquet").groupby(["arm", "seed"]).size().max() == 1
    usage = json.loads((tmp_path / RUN_FILE).read_text())
    assert 0 < usage["share_in_trials"] <= 1 and usage["rounds"] == len(ledger["rounds"])
    page = (tmp_path / "report" / "REPORT.md").read_text()
    assert f"{usage['rounds']} rounds after the first" in page
    # the benchmark reads the finished run back: its settled count is the findings' own
    from analysis.findings import EVIDENCE
    from benchmarks import budget as bench
    from benchmarks.report import render
    run = bench.measure("smoke", BUDGET, ["window_size"], str(tmp_path))
    found = [f for f in StudyResult.load(tmp_path / "window_size").findings if f.kind == EVIDENCE]
    assert (run["findings"], run["settled"]) == (len(found), sum(f.verdict != INCONCLUSIVE for f in found))
    assert len(run["rounds"]) == len(ledger["rounds"]) and run["total_s"] == usage["wall_s"]
    text = render({"budget": {"machine": "Machine: test.", "value": run}})
    row = next(ln for ln in text.splitlines() if ln.startswith(f"| settled findings with `BUDGET={BUDGET}`"))
    assert f"| {run['settled']} of {run['findings']} in " in row


def test_first_rounds_go_cheapest_first_by_the_last_measured_cost(tmp_path):
    from studies.budget import cheapest_first
    prior = tmp_path / "results.json"
    rows = [{"study": "b", "in_trial_s": 50.0}, {"study": "c", "in_trial_s": 10.0}, {"study": "a", "in_trial_s": None}]
    prior.write_text(json.dumps({"studies": {"value": {"profile": "local", "rows": rows}}}))
    assert cheapest_first(["a", "b", "c", "d"], "local", prior) == ["c", "b", "a", "d"]   # unknown: last, in order
    assert cheapest_first(["a", "b", "c"], "full", prior) == ["a", "b", "c"]               # another profile's costs
    prior.write_text("{broken")
    assert cheapest_first(["b", "a"], "local", prior) == ["b", "a"]


def test_an_interrupted_budget_goes_on_with_what_is_left(ray_local, tmp_path):
    """budget.json keeps what was spent: the same command after the budget is gone starts nothing
    and says why; a damaged budget.json is one clear error, and is left as it was."""
    from studies.budget import BUDGET_FILE, Ledger
    from studies.report import make_report
    (tmp_path / BUDGET_FILE).write_text(json.dumps({"budget_s": 60, "spent_s": 75.0, "stopped": "", "rounds": []}))
    said = []
    make_report(tmp_path, "smoke", ("window_size",), tmp_path / "report", log=said.append, budget="60s")
    assert "window_size: not run: its first round would not fit in the budget left" in said
    assert not (tmp_path / "window_size").exists()
    assert json.loads((tmp_path / BUDGET_FILE).read_text())["stopped"] == "budget spent"
    (tmp_path / BUDGET_FILE).write_text("{half")
    with pytest.raises(ValueError, match="is damaged"):
        Ledger.open(tmp_path, 60)
    assert (tmp_path / BUDGET_FILE).read_text() == "{half"
