"""The report's claims per study (analysis/claims.py): every quote is the report's own text, every
study has claims, and the kinds are the three the analysis knows. Ray-free."""
from pathlib import Path

import pytest

from analysis import claims
from studies.registry import STUDIES

SHARED_REPORT = Path("/work/shared/seed/report.txt")  # the report as the project got it, where present


def test_every_quote_is_in_the_report():
    assert claims.not_in_report() == []


def test_an_edited_quote_is_caught():
    text = claims.report_text()
    assert "BN worse the performance" in text
    edited = text.replace("BN worse the performance", "BN improved the performance")
    bad = claims.not_in_report(edited)
    assert ("regularization", "However in my case, BN worse the performance") in bad
    assert all(study == "regularization" for study, _ in bad)


def test_quotes_match_across_line_breaks_and_tabs_only():
    # Table rows are tab-separated in the report; a quote with a space there still matches ...
    assert claims.normalise("Dropout (0.3) 80%") in claims.normalise(claims.report_text())
    # ... but not one with other characters
    assert claims.normalise("Dropout (0.3) 85%") not in claims.normalise(claims.report_text())


@pytest.mark.skipif(not SHARED_REPORT.exists(), reason="the shared report is not on this machine")
def test_the_copy_is_the_report():
    assert claims.report_text() == SHARED_REPORT.read_text(encoding="utf-8")


def test_every_study_and_only_those_has_claims():
    assert set(claims.CLAIMS) == set(STUDIES)
    for study in STUDIES:
        assert claims.CLAIMS[study], study
        assert sum(claims.counts(study).values()) == len(claims.CLAIMS[study])


def test_claims_are_well_formed():
    for study, items in claims.CLAIMS.items():
        for c in items:
            assert c.kind in (claims.FINDING, claims.CHECK, claims.UNTESTABLE), (study, c.quote)
            assert c.test.strip() and c.where.strip(), (study, c.quote)
            assert not (c.kind == claims.UNTESTABLE and c.tested_by), (study, c.quote)
        # one quote may carry several claims, but never the same claim twice
        keys = [(c.quote, c.test) for c in items]
        assert len(keys) == len(set(keys)), study


def test_missing_lists_untested_findings_only():
    gaps = claims.missing("regularization")
    assert gaps and all(c.kind == claims.FINDING and not c.tested_by for c in gaps)
    assert any("batch_norm below baseline" in c.test for c in gaps)
    assert claims.missing("exploration") == []
