"""The whole-report builder on two smoke studies, and its page opened in a real browser."""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.report_page import cost_table
from studies.report import make_report as build_report

# the report builder runs studies (each its own Ray) in subprocesses
pytestmark = pytest.mark.ray

STUDIES = ("regularization", "lr_sweep")
BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


def test_cost_table_counts_what_early_stopping_saved():
    trials = pd.DataFrame({"arm": ["a", "a", "b"], "epochs": [4, 1, 4], "wall_s": [8.0, 2.0, 4.0]})
    m = {"max_epochs": 4, "args": {"cpus_per_trial": 2, "gpus_per_trial": 0.5}}
    c = cost_table(trials, m).set_index("arm")
    assert c.loc["a", "epochs saved by early stopping"] == 3      # 2 trials x 4 epochs - 5 run
    assert c.loc["a", "seconds saved (est.)"] == pytest.approx(6.0)  # 3 epochs x 2 s/epoch
    assert c.loc["a", "CPU-seconds"] == 20 and c.loc["a", "GPU-seconds"] == 5
    assert c.loc["all arms", "trials"] == 3 and c.loc["all arms", "epochs"] == 9


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    storage, out = tmp_path_factory.mktemp("results"), tmp_path_factory.mktemp("report")
    said = []
    build_report(storage, "smoke", STUDIES, out, log=said.append)
    assert all(re.match(rf"{s}: (running|done in)", ln) for s in STUDIES for ln in said if ln.startswith(s))
    return storage, out, said


@pytest.mark.parametrize("name", STUDIES)
def test_a_study_side_by_side_gives_what_it_gives_alone(report, smoke_run, name):
    """The report ran every study side by side on one Ray (studies/side_by_side.py); each table
    and findings.md equals the same study's own run, alone on the session's Ray (timings aside)."""
    import pandas as pd
    storage, _, _ = report
    alone, together = smoke_run(name), storage / name
    a, b = pd.read_csv(alone / "table.csv"), pd.read_csv(together / "table.csv")
    keep = [c for c in a.columns if not any(t in c for t in ("wall_s", "epoch_s", "ms_per", "images_per_s"))]
    pd.testing.assert_frame_equal(a[keep], b[keep])
    assert (alone / "findings.md").read_text() == (together / "findings.md").read_text()


def _findings_rows(folder: Path) -> int:
    """The findings (evidence) findings.md counts: the rows of its first table; checks and claims
    untestable here stay in findings.md, apart from the scorecard."""
    text = (folder / "findings.md").read_text().split("## Checks")[0].split("## Untestable here")[0]
    return sum(bool(re.match(r"\| .+ \| \*\*(reproduced|not reproduced|inconclusive)[^*]*\*\* \|", ln))
               for ln in text.splitlines())


def test_report_skips_complete_studies_and_writes_both_documents(report):
    storage, out, _ = report
    said = []
    build_report(storage, "smoke", STUDIES, out, log=said.append)  # everything is complete now
    assert [ln for ln in said if "skipped" in ln] == [f"{s}: complete under {storage / s}, skipped" for s in STUDIES]
    md = (out / "REPORT.md").read_text()
    assert md.index("## Scorecard") < md.index("(`regularization`)") < md.index("## Cost per study") \
        < md.index("## Manifest")
    assert "STAND-IN for the report's CIFAR-10" in md and "Data used:" not in md  # said once, by the table
    for s in STUDIES:  # each figure of each study is referenced, by a path that resolves from report/
        for fig in (storage / s / "figures").glob("*.png"):
            ref = re.search(rf"\]\(([^)]*/{s}/figures/{re.escape(fig.name)})\)", md).group(1)
            assert (out / ref).resolve() == fig.resolve()
    for s in STUDIES:  # what each study printed is kept beside it: its progress lines, then its verdicts
        said = (storage / s / "console.txt").read_text()
        assert re.search(r"^\[\s*\d+/\d+ \d+:\d\d", said, re.M), said[:500]
        assert re.search(r"\d+ reproduced, \d+ not reproduced, \d+ inconclusive", said), said[-500:]
    page = (out / "index.html").read_text()
    assert "http://" not in page and "https://" not in page and 'src="data:image/png;base64,' in page


def test_every_claims_evidence_reaches_the_page_uncut_and_the_reports_number_beside_it(report):
    import html

    from analysis.findings import EVIDENCE
    from analysis.scorecard import evidence_items, number
    from analysis.study_result import StudyResult
    storage, out, _ = report
    page = (out / "index.html").read_text()
    # as the browser reads them (the sanitiser may write an entity another way)
    rows = {k: html.unescape(v) for k, v in re.findall(r'<tr id="claim-(\d+)">(.*?)</tr>', page, re.S)}
    found = [(r.manifest["data"].get("stand_in_for"), f) for r in (StudyResult.load(storage / s) for s in STUDIES)
             for f in r.findings if f.kind == EVIDENCE]
    assert len(rows) == len(found) > 0
    with_report = 0
    for i, (stand_in, f) in enumerate(found, 1):
        row = rows[str(i)]
        assert not stand_in or f"stand-in for {stand_in}" in row, f.claim  # named in every row it feeds
        assert f.claim in row
        items = [v for _, v in evidence_items(f)]
        if f.verdict == "inconclusive" and " | seeds needed: " in f.evidence:  # the seeds-to-settle line
            assert any(v.startswith("seeds needed: ") for v in items), f.claim
        for text in items:  # each whole, never cut at a " | " or a length
            assert text in row, (f.claim, text)
        if f.report_effect is not None:  # the report column is filled wherever the report gives a number
            with_report += 1
            assert f"<td>{number(f.report_effect, f.unit)}</td>" in row, f.claim
    assert with_report >= 5


def test_each_table_rebuilds_from_the_parquet_files_alone(report):
    """trials.parquet marks the trial each (arm, seed) group's numbers come from: the table's means
    and seed counts follow from it with no other file."""
    from analysis.report import spec_for
    storage, _, _ = report
    for s in STUDIES:
        trials = pd.read_parquet(storage / s / "trials.parquet")
        table = pd.read_csv(storage / s / "table.csv")
        chosen = trials[trials["chosen"]]
        assert chosen.groupby(["arm", "seed"]).size().max() == 1, s
        for col in spec_for(s).columns:
            for _, row in table[table["kind"] == "arm"].iterrows():
                values = chosen.loc[chosen["arm"] == row["arm"], col.source].dropna() * col.scale
                assert row[f"{col.source}_n"] == len(values), (s, row["arm"], col.source)
                if len(values):
                    assert row[f"{col.source}_mean"] == pytest.approx(values.mean()), (s, row["arm"], col.source)


class _Scorecard(HTMLParser):
    """Rows of the first table after the 'Scorecard' heading."""
    def __init__(self):
        super().__init__()
        self.seen, self.depth, self.rows, self.done = False, 0, 0, False

    def handle_starttag(self, tag, attrs):
        if self.seen and not self.done and tag == "tbody":
            self.depth = 1
        elif self.depth and tag == "tr":
            self.rows += 1

    def handle_endtag(self, tag):
        if self.depth and tag == "tbody":
            self.depth, self.done = 0, True

    def handle_data(self, data):
        self.seen = self.seen or data.strip() == "Scorecard"


@pytest.mark.skipif(BROWSER is None, reason="no Chromium here: .ci/run installs Debian's `chromium`")
def test_page_renders_in_a_real_browser(report, tmp_path):
    storage, out, _ = report
    url = (out / "index.html").resolve().as_uri()
    flags = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120).stdout
    figures = sum(len(list((storage / s / "figures").glob("*.png"))) for s in STUDIES)
    assert figures >= 2
    # every figure decoded (naturalWidth > 0), checked by the page's own script in the browser
    shown = figures + 1  # and the scorecard's forest plot
    assert f'data-figures-loaded="{shown}/{shown}"' in dom, re.findall(r"data-figures-loaded=\"[^\"]*\"", dom)
    card = _Scorecard()
    card.feed(dom)
    assert card.rows == sum(_findings_rows(storage / s) for s in STUDIES) > 0
    shot = tmp_path / "page.png"
    subprocess.run([*flags, "--window-size=1200,1600", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120, check=True)
    from PIL import Image
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (1600, 1200) and pixels.std() > 10  # not a blank page
    assert (pixels < 100).mean() > 0.005  # dark text and lines are there
