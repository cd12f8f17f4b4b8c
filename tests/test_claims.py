"""The report's claims per study (each report module's `CLAIMS`, of analysis/claims.py's type): every
quote is the report's own text, every study has claims, and the kinds are the three the analysis
knows. Ray-free."""
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import claims
from analysis import findings as fd
from analysis.report import spec_for
from analysis.summary import Summary
from analysis.verdicts import judged
from studies.registry import STUDIES

SHARED_REPORT = Path("/work/shared/seed/report.txt")  # the report as the project got it, where present


def claims_of(study):
    return spec_for(study).claims


@pytest.mark.parametrize("study", STUDIES)
def test_every_quote_is_in_the_report(study):
    assert claims.not_in_report(claims_of(study)) == []


def test_an_edited_quote_is_caught():
    text = claims.report_text()
    assert "BN worse the performance" in text
    edited = text.replace("BN worse the performance", "BN improved the performance")
    assert claims.not_in_report(claims_of("regularization"), edited) == [
        "However in my case, BN worse the performance"]
    assert claims.not_in_report(claims_of("lr_sweep"), edited) == []


def test_quotes_match_across_line_breaks_and_tabs_only():
    # Table rows are tab-separated in the report; a quote with a space there still matches ...
    assert claims.normalise("Dropout (0.3) 80%") in claims.normalise(claims.report_text())
    # ... but not one with other characters
    assert claims.normalise("Dropout (0.3) 85%") not in claims.normalise(claims.report_text())


@pytest.mark.skipif(not SHARED_REPORT.exists(), reason="the shared report is not on this machine")
def test_the_copy_is_the_report():
    assert claims.report_text() == SHARED_REPORT.read_text(encoding="utf-8")


def test_every_study_has_claims():
    for study in STUDIES:
        assert claims_of(study), study
        assert sum(claims.counts(claims_of(study)).values()) == len(claims_of(study))


def test_claims_are_well_formed():
    for study in STUDIES:
        items = claims_of(study)
        for c in items:
            assert c.kind in (claims.FINDING, claims.CHECK, claims.UNTESTABLE), (study, c.quote)
            assert c.test.strip() and c.where.strip(), (study, c.quote)
            assert not (c.kind == claims.UNTESTABLE and c.tested_by), (study, c.quote)
        # one quote may carry several claims, but never the same claim twice
        keys = [(c.quote, c.test) for c in items]
        assert len(keys) == len(set(keys)), study


def test_no_testable_claim_is_missing_and_partial_ones_say_so():
    for study in STUDIES:
        assert claims.missing(claims_of(study)) == [], study
        assert all(c.part.strip() for c in claims.partly_tested(claims_of(study)))
    # every finding claim is measured now (colorization's colour edges were the last "not measured")
    assert not any("not measured" in c.part for study in STUDIES for c in claims_of(study))


# ---------------------------------------------------------------- the specs carry the claims



def empty_run():
    return Summary(pd.DataFrame(columns=["trial_id", "arm", "seed", "status"]),
                   pd.DataFrame(columns=["trial_id", "epoch"]), "val_acc", "max", [])


@pytest.mark.parametrize("study", STUDIES)
def test_every_testable_claim_has_its_findings_and_every_finding_is_a_claim(study):
    raw = set(spec_for(study).findings(empty_run()))
    named = {k for c in claims_of(study) for k in c.tested_by}
    assert raw <= named, f"findings that test no claim of the report: {raw - named}"
    assert claims.unknown_keys(claims_of(study), dict.fromkeys(raw)) == []
    for c in claims_of(study):
        if c.kind == claims.FINDING:
            assert c.tested_by, (study, c.quote)


@pytest.mark.parametrize("study", STUDIES)
def test_checks_and_untestables_are_shown_and_never_counted(study):
    out = judged(spec_for(study), empty_run())
    quotes = {k: {f.quote for f in out if f.kind == k} for k in (fd.EVIDENCE, fd.CHECK, fd.UNTESTABLE)}
    # a finding whose arms this profile does not run is listed apart as "not run", never counted
    quotes["not run"] = {f.quote for f in out if f.verdict == fd.NOT_RUN_VERDICT}
    assert quotes["not run"] <= quotes[fd.UNTESTABLE]
    for c in claims_of(study):
        q = claims.normalise(c.quote)
        where = {claims.FINDING: (fd.EVIDENCE, "not run"), claims.CHECK: (fd.CHECK,),
                 claims.UNTESTABLE: (fd.UNTESTABLE,)}[c.kind]
        assert any(q in shown for w in where for shown in quotes[w]), (study, c.kind, c.quote)
    assert not any(f.evidence.startswith("no finding of this spec") for f in out)
    md = fd.markdown("t", out)
    evidence = [f for f in out if f.kind == fd.EVIDENCE]
    counted = [int(n) for n in re.findall(r"(\d+) (?:reproduced|not reproduced|inconclusive)", md.split("\n\n")[2])]
    assert sum(counted) == len(evidence)  # the totals line counts evidence only
    assert ("## Checks (sanity, not evidence)" in md) == any(f.kind == fd.CHECK for f in out)
    untestable = md.split("## Untestable here")[-1] if "## Untestable here" in md else ""
    assert untestable.count("\n| «") == sum(f.kind == fd.UNTESTABLE for f in out)


def test_a_claim_without_its_finding_is_shown_not_dropped():
    out = claims.attach(claims_of("regularization"), {})  # a spec that forgot every finding
    forgotten = [f for f in out if f.kind == fd.EVIDENCE]
    assert len(forgotten) == claims.counts(claims_of("regularization"))[claims.FINDING]
    assert all(f.verdict == fd.INCONCLUSIVE for f in fd.judge(forgotten))


def test_checks_do_not_weaken_the_findings_correction():
    a = fd.finding("a", [fd.difference("a", {0: 1.0, 1: 1.2, 2: 1.1}, {0: 0.0, 1: 0.1, 2: 0.05}, 1, 0.1)], 0.1, "", "")
    b = fd.finding("b", [fd.difference("b", {0: 1.0, 1: 1.1, 2: 1.3}, {0: 0.0, 1: 0.2, 2: 0.1}, 1, 0.1)], 0.1, "", "")
    alone = fd.judge([a])[0]
    with_check = fd.judge([a, fd.replace(b, kind=fd.CHECK)])
    with_finding = fd.judge([a, b])[0]
    assert with_check[0].comparisons[0].p_yes == alone.comparisons[0].p_yes
    assert with_finding.comparisons[0].p_yes > alone.comparisons[0].p_yes  # Holm over two
    assert with_check[1].verdict in fd.CHECK_VERDICT.values()


# ---------------------------------------------------------------- regularization on a synthetic run

ARMS = ("baseline", "moderate_aug", "aggressive_aug", "dropout", "batch_norm", "batch_norm_dropout", "zero_init",
        "baseline_constant_lr", "batch_norm_dropout_constant_lr")
FINAL = {"baseline": 0.75, "moderate_aug": 0.80, "aggressive_aug": 0.72, "dropout": 0.80, "batch_norm": 0.70,
         "batch_norm_dropout": 0.65, "zero_init": 0.10, "baseline_constant_lr": 0.75,
         "batch_norm_dropout_constant_lr": 0.65}


def synthetic_regularization(epochs=12, seeds=4):
    """Curves shaped like the report's: the baseline's gap widens, moderate_aug's test accuracy sits
    above its train accuracy, BN + dropout's val. accuracy zigzags around a flat gap at a constant
    rate (the cosine arm's is smooth); the running training-mode accuracy sits below the
    evaluation-mode one by 2 points."""
    rng = np.random.default_rng(0)
    trials, hist = [], []
    for arm in ARMS:
        for seed in range(seeds):
            tid = f"{arm}-{seed}"
            e = np.arange(1, epochs + 1)
            val = FINAL[arm] * (1 - 0.5 * np.exp(-e / 3)) + rng.normal(0, 0.002, epochs)
            widen = {"baseline": 0.01, "baseline_constant_lr": 0.01, "dropout": 0.002,
                     "moderate_aug": -0.0005}.get(arm, 0.0)
            train = val + 0.03 + widen * e + (-0.05 if arm == "moderate_aug" else 0)
            if arm == "batch_norm_dropout_constant_lr":
                val = val + 0.03 * (-1) ** e
                train = val + 0.05 - 0.03 * (-1) ** e
            loss = 1 - val + (0.04 * (-1) ** e if arm == "baseline" else 0)
            hist += [{"trial_id": tid, "epoch": int(k), "val_acc": v, "train_eval_acc": t, "train_acc": t - 0.02,
                      "val_loss": x} for k, v, t, x in zip(e, val, train, loss)]
            trials.append({"trial_id": tid, "arm": arm, "seed": seed, "status": "completed",
                           "best_val_acc": val.max(), "final_val_acc": val[-1], "final_train_acc": train[-1] - 0.02,
                           "final_train_eval_acc": train[-1], "final_test_acc": val[-1] + rng.normal(0, 0.002),
                           "best_val_loss": loss.min(), "final_test_loss": loss[-1]})
    return Summary(pd.DataFrame(trials), pd.DataFrame(hist), "val_acc", "max", list(ARMS))


def test_regularization_findings_on_curves_like_the_reports():
    # the verdict rules alone (analysis.flags, which would flag these short synthetic curves as
    # still improving, is tested in tests/test_baselines_in_tables.py)
    from analysis.claims import attach
    spec = spec_for("regularization")
    out = {f.claim: f for f in fd.judge(attach(spec.claims, spec.findings(synthetic_regularization())))}
    v = {k: f.verdict for k, f in out.items() if f.kind == fd.EVIDENCE}
    assert v["BN is below the baseline"] == fd.REPRODUCED
    assert v["BN + Dropout is the lowest of all methods but zero initialisation"] == fd.REPRODUCED
    assert v["Aggressive augmentation still beats the baseline"] == fd.NOT_REPRODUCED  # 72 < 75
    above = [k for k in v if k.startswith("Moderate augmentation: final test accuracy above")][0]
    assert v[above] == fd.REPRODUCED
    running = [f for k, f in out.items() if k.startswith("Moderate augmentation: final validation accuracy above the running")]
    assert running[0].kind == fd.CHECK
    gap = [k for k in v if k.startswith("Moderate augmentation: smaller train-val. gap")][0]
    assert v[gap] == fd.REPRODUCED
    wobble = [k for k in v if k.startswith("BN + Dropout at a constant rate: validation accuracy oscillates")][0]
    assert v[wobble] == fd.REPRODUCED and "val. accuracy wobble" in out[wobble].evidence
    assert "batch_norm_dropout_constant_lr" in out[wobble].evidence  # the report's condition, not the cosine arm
    smoother = [k for k in v if k.startswith("Dropout: smoother validation loss")][0]
    assert v[smoother] == fd.REPRODUCED  # the baseline's loss zigzags, dropout's does not
    flat = [k for k in v if k.startswith("BN + Dropout at a constant rate: the train-val. gap stays")][0]
    assert v[flat] == fd.REPRODUCED
    zero = out["Zero initialisation stays at chance (10%)"]
    assert zero.kind == fd.CHECK and zero.verdict == "holds" and "10%" in zero.quote


def test_without_the_constant_rate_arms_the_oscillation_claim_is_not_run_not_inconclusive():
    s = synthetic_regularization()
    keep = ~s.trials["arm"].str.endswith("_constant_lr")
    s = Summary(s.trials[keep], s.history, "val_acc", "max", [a for a in ARMS if not a.endswith("_constant_lr")])
    out = judged(spec_for("regularization"), s)
    osc = [f for f in out if f.claim.startswith("BN + Dropout at a constant rate")]
    assert len(osc) == 2 and all(f.kind == fd.UNTESTABLE and f.verdict == fd.NOT_RUN_VERDICT for f in osc)
    assert "## Untestable here" in fd.markdown("t", out) and fd.NOT_RUN_VERDICT in fd.markdown("t", out)


@pytest.mark.parametrize("study", STUDIES)
def test_claim_texts_fit_a_markdown_table_row(study):
    # findings.md and the report page find a finding by "| claim | **verdict** |"
    for f in judged(spec_for(study), empty_run()):
        assert "|" not in f.claim and "\n" not in f.claim, f.claim


def test_every_findings_row_has_the_tables_columns():
    # evidence joins several comparisons with " | ": the row must still have every cell, the quote 8th
    out = judged(spec_for("regularization"), synthetic_regularization())
    md = fd.markdown("t", out)
    rows = [ln for ln in md.splitlines() if ln.startswith("| ") and "**" in ln]
    assert len(rows) == sum(f.kind != fd.UNTESTABLE for f in out)
    for ln in rows:
        cells = ln.strip().strip("|").split(" | ")
        assert len(cells) == len(fd.HEAD[1].split("|")) - 2, ln[:200]
        assert fd.HEAD[0].split(" | ")[7] == "the report says"
        assert cells[7].startswith("«") or cells[7] == "—"


def test_exploration_convergence_by_the_greedy_policy():
    """softmax's greedy policy reaches FrozenLake's threshold two blocks later than ε-greedy's, every
    seed; a seed that never reaches it counts the episodes run (censored)."""
    from trainables.rl import threshold_for
    thr = threshold_for("FrozenLake-v1", "auto")
    trials, hist = [], []
    for arm, first in (("q_eps", 2), ("q_softmax", 4)):
        for seed in range(3):
            tid = f"{arm}{seed}"
            reach = first + (seed == 2)
            g = [thr * 0.5] * reach + [thr * 1.1] * (8 - reach)
            hist += [{"trial_id": tid, "epoch": e + 1, "greedy_return": v} for e, v in enumerate(g)]
            trials.append({"trial_id": tid, "arm": arm, "seed": seed, "status": "completed", "best_mean_return": 1.0,
                           "config/env": "FrozenLake-v1", "config/threshold": "auto",
                           "config/episodes_per_block": 100})
    s = Summary(pd.DataFrame(trials), pd.DataFrame(hist), "mean_return", "max", ["q_eps", "q_softmax"])
    from analysis.report.exploration import GREEDY_CLAIM, greedy_episodes, greedy_slower
    episodes, reached, _, block = greedy_episodes(s, "q_softmax", "q")
    assert episodes == {0: 500.0, 1: 500.0, 2: 600.0} and all(reached.values()) and block == 100
    f = fd.judge([greedy_slower(GREEDY_CLAIM.format("Q-learning"), s, "q_softmax", "q_eps", "q")])[0]
    assert f.effect == 200 and f.n_seeds == 3
    never = s.history.assign(greedy_return=0.0)
    s2 = Summary(s.trials, never, "mean_return", "max", ["q_eps", "q_softmax"])
    g = greedy_slower("x", s2, "q_softmax", "q_eps", "q")
    assert g.comparisons[0].kind == fd.FIXED and "censored" in g.comparisons[0].detail
