"""The report page's first screen: the totals, a forest plot of every claim, then one compact row
per claim (verdict, this run's effect beside the report's, the interval the verdict used, the
smallest effect of interest) with its evidence one click away, and the checks apart.

Every string from a run reaches the HTML through `html.escape`; the Markdown twin (REPORT.md) goes
through analysis/md.py."""
from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass

from analysis import md
from analysis.findings import EQUIVALENCE, INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, SMALL, Finding

VERDICTS = (REPRODUCED, SMALL, NOT_REPRODUCED, INCONCLUSIVE)
COLOURS = {REPRODUCED: "#2e8b57", SMALL: "#9acd32", NOT_REPRODUCED: "#c0392b", INCONCLUSIVE: "#d4a017"}
CLIP = 4.0  # the forest plot's x range, in smallest effects of interest


@dataclass
class Claim:
    """One scorecard row: a study's counted finding (checks and untestable claims are listed apart)."""
    number: int
    study: str
    f: Finding
    stand_in_for: str = ""  # what this study's data stands in for ("" when it is the report's own)

    @property
    def data(self) -> str:
        return f"stand-in for {self.stand_in_for}" if self.stand_in_for else ""

    @property
    def shown(self) -> str:
        return self.f.caveat or self.f.verdict

    @property
    def equivalence(self) -> bool:
        return any(c.kind == EQUIVALENCE for c in self.f.comparisons)


def number(x, unit: str = "") -> str:
    """A signed effect with 3 significant digits, no "-0", and its unit."""
    if x is None or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "—"
    text = f"{x:+.3g}"
    if float(text) == 0:
        text = "0"
    return f"{text.replace('-', '−')}{' ' + unit if unit else ''}"


def interval(f: Finding) -> str:
    if not f.interval or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in f.interval):
        return "no interval"
    return f"[{number(f.interval[0])}, {number(f.interval[1])}]"


def sesoi(f: Finding) -> str:
    return "—" if f.sesoi is None else number(f.sesoi, f.unit).lstrip("+")


def evidence_items(f: Finding) -> list[tuple[str, str]]:
    """(label, text) lines of a claim's evidence, uncut."""
    items = []
    if f.caveat:
        items.append(("why " + f.verdict, f.caveat.split(": ", 1)[-1]))
    if f.quote:
        items.append(("the report", f"«{f.quote}» ({f.where})" if f.where else f"«{f.quote}»"))
    parts = [p.strip() for p in f.evidence.split(" | ") if p.strip()]
    items += [("test" if i == 0 else "", p) for i, p in enumerate(parts)]
    if f.size:
        items.append(("the report's effect", f"{number(f.report_effect, f.unit)}: {f.size}"))
    if f.why:
        items.append(("smallest effect of interest", f"{sesoi(f)}: {f.why}"))
    if f.inference:
        items.append(("method", f.inference))
    return items


def totals(claims: list[Claim], checks: int, untestable: int) -> dict:
    n = {v: sum(c.f.verdict == v for c in claims) for v in VERDICTS}
    return {**n, "findings": len(claims), "checks": checks, "untestable": untestable}


# ---------------------------------------------------------------- the forest plot

def _scale(f: Finding) -> float | None:
    """What one unit of the plot is for `f`: its SESOI; for a bound claim (SESOI 0, decided by the
    side of the bound) the half-width of its interval; None where there is neither."""
    if f.sesoi:
        return abs(f.sesoi)
    if f.interval and f.effect is not None and all(math.isfinite(v) for v in f.interval):
        half = (f.interval[1] - f.interval[0]) / 2
        return half if half > 0 else None
    return None


def forest_png(claims: list[Claim]) -> bytes | None:
    """Every claim's effect and interval in units of its smallest effect of interest (positive:
    the report's direction), coloured by verdict, the report's own effect as a hollow diamond; two
    panels side by side so that the whole plot fits the first screen."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if not claims:
        return None
    half = math.ceil(len(claims) / 2)
    panels = [claims[:half], claims[half:]] if len(claims) > 8 else [claims]
    fig, axes = plt.subplots(1, len(panels), figsize=(12.5, 0.8 + 0.13 * half), dpi=100, squeeze=False)
    for ax, rows in zip(axes[0], panels):
        for y, c in enumerate(rows):
            f, scale = c.f, _scale(c.f)
            ok = scale is not None and f.effect is not None and math.isfinite(f.effect)
            colour = COLOURS.get(f.verdict, "#888")
            if ok:
                x = max(-CLIP, min(CLIP, f.effect / scale))
                if f.interval and all(math.isfinite(v) for v in f.interval):
                    lo, hi = (max(-CLIP, min(CLIP, v / scale)) for v in f.interval)
                    ax.plot([lo, hi], [y, y], color=colour, lw=2, solid_capstyle="butt")
                ax.plot([x], [y], "o", color=colour, ms=4.5)
                if f.report_effect is not None and math.isfinite(f.report_effect):
                    ax.plot([max(-CLIP, min(CLIP, f.report_effect / scale))], [y], "D", mfc="none",
                            mec="#222", ms=5, mew=1)
            else:
                ax.text(0, y, "no estimate", fontsize=7, va="center", ha="center", color="#666")
            if c.equivalence:  # its margin: reproduced when the interval lies inside +-1
                ax.plot([-1, 1], [y, y], color="#888", lw=6, alpha=0.25, solid_capstyle="butt")
        ax.axvline(0, color="#333", lw=0.8)
        ax.axvspan(0, 1, color="#bbb", alpha=0.25, lw=0)  # above 0, below the smallest effect of interest
        ax.axvline(1, color="#666", lw=0.8, ls="--")
        ax.set_yticks(range(len(rows)), [f"{c.number}  {c.study}{'*' if not c.f.sesoi else ''}" for c in rows],
                      fontsize=7.5)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(-CLIP - 0.2, CLIP + 0.2)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", color="#eee")
        ax.set_xlabel("effect ÷ smallest effect of interest (the report's direction →)", fontsize=8)
    handles = [plt.Line2D([], [], color=COLOURS[v], marker="o", lw=2, label=v) for v in VERDICTS]
    handles.append(plt.Line2D([], [], color="#222", marker="D", mfc="none", lw=0, label="the report's effect"))
    fig.legend(handles=handles, loc="upper center", ncol=5, fontsize=8, frameon=False)
    fig.text(0.5, 0.005, "grey band: above 0 but below the smallest effect of interest; ±4: off the scale; "
             "* a bound claim (no SESOI): in units of its interval's half-width", ha="center", fontsize=7.5,
             color="#444")
    fig.tight_layout(rect=(0, 0.03, 1, 0.93))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


# ---------------------------------------------------------------- HTML and Markdown

def _cls(verdict: str) -> str:
    return "v-" + "".join(ch if ch.isalpha() else "-" for ch in verdict).strip("-").replace("--", "-")


def totals_html(t: dict) -> str:
    parts = [f'<span class="{_cls(v)}"><strong>{t[v]}</strong> {html.escape(v)}</span>' for v in VERDICTS]
    return (f'<p class="totals"><strong>{t["findings"]} findings</strong>: {" · ".join(parts)}. '
            f'Apart, never counted: {t["checks"]} checks (sanity, hold by construction) and '
            f'{t["untestable"]} claims untestable here.</p>')


def rows_html(claims: list[Claim], link) -> str:
    head = ("<thead><tr><th>#</th><th>study</th><th>claim</th><th>verdict</th><th>this run</th><th>the report</th>"
            "<th>interval the verdict used</th><th>smallest effect of interest</th></tr></thead>")
    rows = []
    for c in claims:
        f, e = c.f, html.escape
        details = "".join(f"<li>{f'<strong>{e(k)}</strong>: ' if k else ''}{e(v)}</li>"
                          for k, v in evidence_items(f))
        rows.append(
            f'<tr id="claim-{c.number}"><td>{c.number}</td><td>{link(c.study)}'
            f'{f"<br><small>{e(c.data)}</small>" if c.data else ""}</td>'
            f"<td>{e(f.claim)}<details><summary>evidence</summary><ul>{details}</ul></details></td>"
            f'<td class="{_cls(f.verdict)}"><strong>{e(f.verdict)}</strong>{" (flag)" if f.caveat else ""}</td>'
            f"<td>{e(number(f.effect, f.unit))}</td><td>{e(number(f.report_effect, f.unit))}</td>"
            f"<td>{e(interval(f))}</td><td>{e(sesoi(f))}</td></tr>")
    return f'<table class="card">{head}<tbody>{"".join(rows)}</tbody></table>'


def html_section(claims: list[Claim], checks: list[tuple[str, Finding]], t: dict, link) -> str:
    png = forest_png(claims)
    plot = (f'<p><img class="forest" alt="forest plot of every claim" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode()}"></p>' if png else "")
    check_items = "".join(f"<li>{link(s)}: {html.escape(f.claim)} — <strong>{html.escape(f.verdict)}</strong>"
                          f"</li>" for s, f in checks)
    return (totals_html(t) + plot + rows_html(claims, link)
            + (f"<h3>Checks (sanity, not evidence)</h3><ul>{check_items}</ul>" if checks else ""))


def markdown_section(claims: list[Claim], checks: list[tuple[str, Finding]], t: dict, link) -> str:
    lines = [f"**{t['findings']} findings**: " + ", ".join(f"{t[v]} {v}" for v in VERDICTS)
             + f". Apart, never counted: {t['checks']} checks and {t['untestable']} claims untestable here.", "",
             "| # | study | claim | verdict | this run | the report | interval the verdict used | "
             "smallest effect of interest |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in claims:
        f = c.f
        lines.append(f"| {c.number} | {link(c.study)}{f' ({md.cell(c.data)})' if c.data else ''} | {md.cell(f.claim)} | **{md.cell(c.shown)}** | "
                     f"{number(f.effect, f.unit)} | {number(f.report_effect, f.unit)} | {interval(f)} | {sesoi(f)} |")
    lines += ["", "### Evidence", ""]
    for c in claims:
        lines.append(f"{c.number}. {md.one_line(c.f.claim)}")
        lines += [f"   - {f'{k}: ' if k else ''}{md.one_line(v)}" for k, v in evidence_items(c.f)]
    if checks:
        lines += ["", "### Checks (sanity, not evidence)", ""]
        lines += [f"- {link(s)}: {md.one_line(f.claim)} — **{f.verdict}**" for s, f in checks]
    return "\n".join(lines)
