"""The report page from stored results: report/index.html (one self-contained file, figures
inlined) and report/REPORT.md: the scorecard of every finding first, then each study, the cost of
each arm, and the manifest. Running the studies first is studies/report.py's (`make report`)."""
from __future__ import annotations

import base64
import html
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import pandas as pd

from analysis import md, scorecard
from analysis.findings import CHECK, EVIDENCE, UNTESTABLE
from analysis.study_result import StudyResult, state

VERDICTS = scorecard.VERDICTS


# ---------------------------------------------------------------- what one study left

@dataclass
class StudyPart:
    name: str
    folder: Path
    manifest: dict
    title: str = ""
    table_md: str = ""
    judged: list = field(default_factory=list)     # every Finding: evidence, checks, untestable

    def of_kind(self, kind: str) -> list:
        return [f for f in self.judged if f.kind == kind]
    figures: list[Path] = field(default_factory=list)
    cost: pd.DataFrame | None = None
    wall_s: float | None = None


def _fmt(x, digits=".4g") -> str:
    return format(x, digits) if isinstance(x, (int, float)) else str(x)


def _findings_from_markdown(folder: Path, m: dict) -> list:
    """Fallback: the rows of findings.md (claim | verdict | ... | evidence), as findings."""
    from analysis.findings import Finding
    rows = []
    for line in (folder / "findings.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and cells[1].strip("*") in VERDICTS:
            rows.append(Finding(cells[0], cells[1].strip("*"), None, None, None, len(m.get("seeds", [])),
                                cells[-1]))
    return rows


def cost_table(trials: pd.DataFrame, m: dict) -> pd.DataFrame:
    """Per arm: trials, epochs run, CPU/GPU-seconds and what stopping early saved against every
    trial running the full budget (saved seconds: saved epochs x the arm's seconds per epoch)."""
    args = m.get("args", {})
    cpus, gpus = float(args.get("cpus_per_trial") or 1), float(args.get("gpus_per_trial") or 0)
    budget = int(m.get("max_epochs") or 0)
    rows = []
    for arm, t in trials.groupby("arm", sort=False):
        epochs, wall = float(t["epochs"].sum()), float(t["wall_s"].fillna(0).sum())
        full = len(t) * budget
        per_epoch = wall / epochs if epochs else 0.0
        rows.append({"arm": arm, "trials": len(t), "epochs": int(epochs), "full budget epochs": full,
                     "trial seconds": round(wall, 1), "CPU-seconds": round(wall * cpus, 1),
                     "GPU-seconds": round(wall * gpus, 1),
                     "epochs saved by early stopping": int(full - epochs),
                     "seconds saved (est.)": round(max(0.0, full - epochs) * per_epoch, 1)})
    frame = pd.DataFrame(rows)
    if len(frame):
        total = frame.drop(columns="arm").sum(numeric_only=True)
        frame = pd.concat([frame, pd.DataFrame([{"arm": "all arms", **total.round(1).to_dict()}])],
                          ignore_index=True)
    return frame


def collect(name: str, folder: Path) -> StudyPart | None:
    if state(folder) != "complete" and not (folder / "findings.md").exists():
        return None
    r = StudyResult.load(folder)  # a damaged file stops here, before any judging
    m = r.manifest
    part = StudyPart(name, folder, m)
    part.table_md = (folder / "table.md").read_text() if (folder / "table.md").exists() else ""
    part.title = (part.table_md.splitlines() or [name])[0].lstrip("# ").strip() or name
    try:  # judged as findings.md judges them: with the manifest's baselines and flags
        part.judged = r.findings
    except Exception as err:  # a spec that cannot judge these results: what findings.md says
        print(f"{name}: findings from findings.md ({type(err).__name__}: {err})", file=sys.stderr)
        part.judged = _findings_from_markdown(folder, m)
    part.figures = sorted((folder / "figures").glob("*.png"))
    part.cost = cost_table(r.trials, m)
    part.wall_s = r.wall_s
    return part


# ---------------------------------------------------------------- the two documents

def _anchor(name: str) -> str:
    return "study-" + re.sub(r"[^a-z0-9]+", "-", name.lower())


def _md_table(frame: pd.DataFrame) -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + " --- |" * len(cols)]
    lines += ["| " + " | ".join(_fmt(v, ".1f") if isinstance(v, float) else str(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def claims_of(parts: list[StudyPart]) -> list[scorecard.Claim]:
    """The counted findings of every study, numbered as the scorecard and the forest plot show them."""
    found = [(p, f) for p in parts for f in p.of_kind(EVIDENCE)]
    return [scorecard.Claim(i, p.name, f, (p.manifest.get("data") or {}).get("stand_in_for") or "")
            for i, (p, f) in enumerate(found, 1)]


def totals(parts: list[StudyPart]) -> dict:
    return scorecard.totals(claims_of(parts), sum(len(p.of_kind(CHECK)) for p in parts),
                            sum(len(p.of_kind(UNTESTABLE)) for p in parts))


def checks_of(parts: list[StudyPart]) -> list:
    return [(p.name, f) for p in parts for f in p.of_kind(CHECK)]


def manifest_md(parts: list[StudyPart]) -> str:
    lines = ["| study | commit | profile | seeds | data | stand-in for | data sha256 | started |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    packages = {}
    for p in parts:
        m, d = p.manifest, p.manifest.get("data", {}) or {}
        packages.update(m.get("packages", {}))
        lines.append("| " + " | ".join(md.cell(v) for v in (
            p.name, str(m.get('git_commit', '?'))[:12], m.get('profile'), len(m.get('seeds', [])),
            d.get('name', '?'), d.get('stand_in_for') or '—', d.get('sha256_16', '?'), m.get('started', '?'))) + " |")
    lines += ["", "Packages: " + ", ".join(f"{k} {v}" for k, v in sorted(packages.items())),
              f"Python {parts[0].manifest.get('python', '?')}; driver device: "
              f"{parts[0].manifest.get('driver_device', '?')}." if parts else ""]
    return "\n".join(lines)


def _notes_as_list(body: str) -> str:
    """The table's notes one bullet each: consecutive "Note:" lines would merge into one paragraph."""
    lines, out = body.split("\n"), []
    for line in lines:
        if line.startswith("Note: "):
            if out and out[-1].strip() and not out[-1].startswith("- "):
                out.append("")
            line = "- " + line[len("Note: "):]
        out.append(line)
    return "\n".join(out)


def study_md(p: StudyPart, figure_ref, outcome: str | None) -> str:
    wall = f"{p.wall_s:.0f} s wall time" if p.wall_s is not None else "wall time not recorded"
    body = p.table_md.split("\n", 1)[1].strip() if "\n" in p.table_md else p.table_md
    body = _notes_as_list(body)
    out = [f"## {p.title} (`{p.name}`)", "",
           f"Results: {md.code(p.folder)}; {wall}{f'; this build: {md.one_line(outcome)}' if outcome else ''}. "
           "[Back to the scorecard](#scorecard)", "",
           body, "", "### Findings", "",
           f"Its {len(p.of_kind(EVIDENCE))} counted findings are on the scorecard (effects, intervals, evidence); "
           f"every row, checks and untestable claims included, is in {md.code(p.folder / 'findings.md')}.", "",
           "### Figures", "", *[figure_ref(f) for f in p.figures], "",
           "### Cost", "", _md_table(p.cost) if p.cost is not None and len(p.cost) else "no trials", ""]
    return "\n".join(out)


def study_totals_md(parts: list[StudyPart]) -> str:
    rows = []
    for p in parts:
        all_arms = p.cost.iloc[-1] if p.cost is not None and len(p.cost) else {}
        rows.append({"study": p.name, "trials": all_arms.get("trials", 0), "epochs": all_arms.get("epochs", 0),
                     "CPU-seconds": all_arms.get("CPU-seconds", 0), "GPU-seconds": all_arms.get("GPU-seconds", 0),
                     "wall seconds": round(p.wall_s, 1) if p.wall_s is not None else "n/a",
                     "epochs saved by early stopping": all_arms.get("epochs saved by early stopping", 0),
                     "seconds saved (est.)": all_arms.get("seconds saved (est.)", 0)})
    return _md_table(pd.DataFrame(rows)) if rows else "no study"


SCORECARD_SLOT = "SCORECARD-SLOT-7f3a"   # where to_html puts the scorecard's own HTML


def document(parts: list[StudyPart], profile: str, figure_ref, link, outcomes: dict, missing: list,
             card: str, note: str = "") -> str:
    """The page as Markdown around `card`, the scorecard (or SCORECARD_SLOT, for to_html to fill);
    `note`: the run's own line (studies/report.py: slot use, the budget)."""
    out = [f"# The report, reproduced ({profile} profile)", "",
           f"Built {time.strftime('%Y-%m-%d %H:%M')} from {len(parts)} studies"
           + (f"; missing (not run or failed): {', '.join(missing)}" if missing else "") + ".", "",
           *([md.one_line(note), ""] if note else []),
           "## Scorecard", "", card, "",
           "Verdicts (analysis/verdicts.py): reproduced; reproduced, smaller than it matters; not reproduced "
           "(opposite, no effect, or below the smallest effect of interest); inconclusive (a caveat says why "
           "where a flag decided it). Effects are signed so that positive is the report's direction; the "
           "interval is the one the verdict used (Holm over the study's claims; TOST for a claim of "
           "similarity), the unadjusted 95% one is in the evidence; the report's effect comes from its own "
           "table. Checks hold by construction and are never counted; the claims untestable here are listed "
           "in each study's findings.md.", "",
           "Studies: " + " · ".join(link(p.name) for p in parts), ""]
    out += [study_md(p, figure_ref, outcomes[p.name].text if p.name in outcomes else None) for p in parts]
    out += ["## Cost per study", "", study_totals_md(parts), "",
            "Trial seconds are the trainables' own time; CPU/GPU-seconds = trial seconds x the resources "
            "each trial held; saved = (trials x full epochs - epochs run) x the arm's seconds per epoch.", "",
            "## Manifest", "", manifest_md(parts), ""]
    return "\n".join(out)


CSS = """body{font:15px/1.45 system-ui,sans-serif;max-width:1300px;margin:1.2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px;
vertical-align:top}th{background:#f3f3f3}img{max-width:100%;border:1px solid #ddd;margin:.4em 0}
.v-reproduced{background:#e3f6e3}.v-not-reproduced{background:#fbe1e1}
.v-inconclusive{background:#fff6d6}.v-reproduced-smaller-than-it-matters{background:#eef6d8}.broken{outline:3px solid red}h2{border-bottom:2px solid #444;margin-top:1.6em}h2#scorecard{margin-top:.6em}
h1{font-size:24px;margin:.2em 0}.totals{font-size:16px}.totals span{padding:1px 5px;border-radius:3px}
img.forest{border:0;margin:0}table.card td:nth-child(7){white-space:nowrap}table.card td:nth-child(n+5){max-width:12em}table.card td:nth-child(3){min-width:24em}
details summary{cursor:pointer;color:#555;font-size:12px}details ul{margin:.3em 0;padding-left:1.2em}"""

# Marks each figure loaded or broken once the page is up (and outlines a broken one in red).
FIGURE_CHECK = """<script>window.addEventListener('load',function(){var ok=0,imgs=document.images;
for(var i=0;i<imgs.length;i++){var good=imgs[i].complete&&imgs[i].naturalWidth>0;
imgs[i].setAttribute('data-loaded',good?'yes':'no');if(good)ok++;else imgs[i].className='broken';}
document.body.setAttribute('data-figures-loaded',ok+'/'+imgs.length);});</script>"""


class _NoRawHtml(markdown.Extension):
    """Raw HTML in the Markdown is shown as text: every string a run wrote (error messages, file
    names, data sources, `--set` values) reaches the page escaped, never as markup."""

    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


# What the page's own Markdown makes; nh3 drops anything else (a second line of defence).
ALLOWED_TAGS = {"h1", "h2", "h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "strong", "em",
                "code", "pre", "a", "img", "ul", "ol", "li", "br", "hr", "blockquote", "details", "summary"}


def to_html(md_text: str, profile: str, card: str = "") -> str:
    import nh3
    body = markdown.markdown(md_text, extensions=["tables", _NoRawHtml()])
    body = body.replace(f"<p>{SCORECARD_SLOT}</p>", card)  # built from escaped strings; cleaned below too
    # data: only for the page's own inlined figures; no script, style or event attribute survives
    body = nh3.clean(body, tags=ALLOWED_TAGS, attributes={"*": {"id", "class", "title"}, "a": {"href"},
                                                          "img": {"src", "alt"}, "td": {"align"},
                                                          "th": {"align"}},
                     url_schemes={"data"}, link_rel=None, strip_comments=True)
    for v in VERDICTS:  # colour each verdict's cell (a caveat starts with its verdict)
        body = re.sub(rf"<td><strong>({re.escape(v)}(: [^<]*)?)</strong></td>",
                      lambda m, v=v: f'<td class="v-{re.sub("[^a-z]+", "-", v)}"><strong>{m.group(1)}</strong></td>',
                      body)
    body = body.replace("<h2>Scorecard</h2>", '<h2 id="scorecard">Scorecard</h2>', 1)
    body = re.sub(r"<h2>(.*?)\(<code>([a-z_]+)</code>\)</h2>",
                  lambda m: f'<h2 id="{_anchor(m.group(2))}">{m.group(1)}(<code>{m.group(2)}</code>)</h2>', body)
    return (f"<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>Report reproduced "
            f"({html.escape(profile)})</title><style>{CSS}</style></head><body>\n{body}\n{FIGURE_CHECK}</body></html>\n")


def build_report(storage, profile: str = "local", studies=(), out_dir="report", outcomes=None,
                 log=print, note: str = "") -> tuple[tuple[Path, Path], list[str], list[str]]:
    """Collect `studies` under `storage` (what studies/report.py ran, with its `outcomes`); write
    index.html and REPORT.md. Returns their paths, the studies with no results there and those
    whose results cannot be read."""
    storage, out_dir, outcomes = Path(storage).resolve(), Path(out_dir), outcomes or {}
    parts, missing, damaged = [], [], []
    for name in studies:
        try:
            part = collect(name, storage / name)
            if part is None:
                missing.append(name)
        except (OSError, ValueError, KeyError) as err:  # a damaged results folder: named, left as it is
            log(f"{name}: results under {storage / name} cannot be read ({md.one_line(err)[:160]}); left out")
            part = None
            damaged.append(name)
        if part:
            parts.append(part)
    left_out = missing + damaged
    out_dir.mkdir(parents=True, exist_ok=True)
    claims, checks, t = claims_of(parts), checks_of(parts), totals(parts)
    md_link = lambda name: f"[{name}](#{_anchor(name)})"
    text = document(parts, profile, lambda f: f"![{f.stem}]({os.path.relpath(f, out_dir)})", md_link, outcomes,
                    left_out, scorecard.markdown_section(claims, checks, t, md_link), note)
    (out_dir / "REPORT.md").write_text(text)

    def inline(f: Path) -> str:
        return f"![{f.stem}](data:image/png;base64,{base64.b64encode(f.read_bytes()).decode()})"
    card = scorecard.html_section(claims, checks, t, lambda name: f'<a href="#{_anchor(name)}">{html.escape(name)}</a>')
    page = to_html(document(parts, profile, inline, md_link, outcomes, left_out, SCORECARD_SLOT, note), profile, card)
    (out_dir / "index.html").write_text(page)
    log(f"scorecard: {t['reproduced']} reproduced, {t[VERDICTS[1]]} {VERDICTS[1]}, {t['not reproduced']} "
        f"not reproduced, {t['inconclusive']} inconclusive ({t['findings']} findings, {len(parts)} studies)")
    log(f"report: {out_dir / 'index.html'}  {out_dir / 'REPORT.md'}")
    return (out_dir / "index.html", out_dir / "REPORT.md"), missing, damaged
