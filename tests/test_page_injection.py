"""Strings a run wrote reach report/index.html as text, never as markup: payloads planted in each
way in (a `--set` value echoed by a failing study's error, trials' error messages, a data file's
name, a data source) are opened in headless Chromium, where none of them runs."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from analysis.build import from_parquet
from analysis.study_result import WALL_FILE
from studies.report import make_report as build_report
from tests.test_report_page import BROWSER

TITLE = "Report reproduced (smoke)"
# each would change the page's title if the browser ran it
PAYLOADS = {  # double quotes only, so that a repr() in an error message keeps each whole
    "set value": '<img src="x" onerror="document.title=/pwned-by-set/.source">',
    "error": '<script>document.title=/pwned-by-an-error/.source</script> `a | b` <b>bold</b>',
    "file name": '<img src="y" onerror="document.title=/pwned-by-a-file-name/.source">.txt',
    "source": '<svg onload="document.title=/pwned-by-a-source/.source"></svg>',
}


@pytest.fixture(scope="module")
def planted(smoke_run, tmp_path_factory):
    """lr_sweep's smoke results, copied and planted: every trial errored with a payload message,
    the data's name and source are payloads; then the study is run again with a payload `--set`
    value that its data loader echoes in its one-line error."""
    storage, out = tmp_path_factory.mktemp("planted"), tmp_path_factory.mktemp("page")
    folder = shutil.copytree(smoke_run("lr_sweep"), storage / "lr_sweep")
    trials = pd.read_parquet(folder / "trials.parquet")
    trials["status"], trials["error"] = "errored", PAYLOADS["error"]
    trials.to_parquet(folder / "trials.parquet")
    m = json.loads((folder / "manifest.json").read_text())
    m["data"] = {**m["data"], "name": "corpus " + PAYLOADS["file name"], "source": PAYLOADS["source"],
                 "stand_in_for": PAYLOADS["source"]}
    (folder / "manifest.json").write_text(json.dumps(m))
    from_parquet(folder)  # the all-errored note, as `python -m analysis` writes it
    for name in (WALL_FILE, "tuner.pkl"):  # so the report runs the study again (and it fails)
        (folder / name).unlink(missing_ok=True)
    said = []
    with pytest.raises(SystemExit):  # a study failed: the page is built, the exit is non-zero
        build_report(storage, "smoke", ("lr_sweep",), out, study_opts=["--set", f"dataset={PAYLOADS['set value']}"],
                     log=said.append)
    return out, said


def test_every_payload_reaches_the_markdown_whole(planted):
    out, said = planted
    text = (out / "REPORT.md").read_text()
    assert any("FAILED" in line and PAYLOADS["set value"] in line for line in said), said
    for way, payload in PAYLOADS.items():
        assert payload.split("`")[0].strip() in text, way


@pytest.mark.skipif(BROWSER is None, reason="no Chromium here: .ci/run installs Debian's `chromium`")
def test_no_planted_script_runs_and_each_shows_as_text(planted):
    out, _ = planted
    page = out / "index.html"
    flags = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--virtual-time-budget=3000", "--dump-dom", page.resolve().as_uri()]
    dom = subprocess.run(flags, capture_output=True, text=True, timeout=120).stdout
    assert f"<title>{TITLE}</title>" in dom  # no payload changed it
    assert not re.search(r"<(img|svg|script|b)\b[^>]*(onerror|onload|src=\"[xy]\"|document\.title)", dom)
    assert "<b>bold</b>" not in dom
    for way, payload in PAYLOADS.items():  # shown as text: escaped in the DOM
        visible = payload.split("`")[0].strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert visible in dom, way
