"""A claim of the report, quoted from its text (analysis/report_text.txt, a copy of the report), and
what kind of claim it is. Each study's claims live in its report module (analysis/report/<study>.py
`CLAIMS`, carried by its spec):

* `finding`: testable on a study's trials; `test` names the arms, the metric and the direction.
* `check`: holds by construction (e.g. average pooling gives two anagram sentences the same
  score for any weights): a sanity check of the code, never evidence for the report.
* `untestable`: `test` gives the reason (needs the report's A100, a visual judgement, an arm the
  report's design lacks, no measurable statement).

`tested_by` names the findings that test a claim by their keys in the spec's `findings(summary)`
dict (one key, or a tuple of keys), and `part` says where their measure is not the claim's or
covers it only in part. `attach` gives each finding its quotes; tests/test_claims.py checks that
every `finding` claim has its findings, every `check` is shown as a check, every `untestable` is
listed. A quote may carry several claims (one per `test`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

FINDING, CHECK, UNTESTABLE = "finding", "check", "untestable"
REPORT_TEXT = Path(__file__).with_name("report_text.txt")


@dataclass(frozen=True)
class Claim:
    quote: str        # verbatim from the report (whitespace may differ)
    where: str        # the section, table or figure it comes from
    kind: str         # FINDING, CHECK or UNTESTABLE
    test: str         # finding: arms, metric, direction; check: why it holds; untestable: why not
    tested_by: tuple = ()   # keys of the spec's findings that test it
    part: str = ""    # where those findings test it only in part, or by another measure

    def __post_init__(self):  # one key may be given bare
        if isinstance(self.tested_by, str):
            object.__setattr__(self, "tested_by", (self.tested_by,))


def F(quote, where, test, tested_by=(), part=""):
    return Claim(quote, where, FINDING, test, tested_by, part)


def C(quote, where, why, tested_by=(), part=""):
    return Claim(quote, where, CHECK, why, tested_by, part)


def U(quote, where, why):
    return Claim(quote, where, UNTESTABLE, why)


def normalise(text: str) -> str:
    """Runs of whitespace (spaces, tabs, line breaks) to one space."""
    return re.sub(r"\s+", " ", text).strip()


def report_text() -> str:
    return REPORT_TEXT.read_text(encoding="utf-8")


def not_in_report(claims, text: str | None = None) -> list[str]:
    """The quotes of `claims` that are not in the report, whitespace-normalised."""
    body = normalise(text if text is not None else report_text())
    return [c.quote for c in claims if normalise(c.quote) not in body]


def missing(claims) -> list[Claim]:
    """Testable claims that no finding tests yet."""
    return [c for c in claims if c.kind == FINDING and not c.tested_by]


def partly_tested(claims) -> list[Claim]:
    """Findings tested today only in part or by a measure that is not the claim's."""
    return [c for c in claims if c.kind == FINDING and c.part]


def unknown_keys(claims, found: dict) -> list[str]:
    """Keys the claims name that the findings lack (a renamed or forgotten finding)."""
    return [k for c in claims for k in c.tested_by if k not in found]


def attach(claims, found: dict) -> list:
    """The spec's findings ({key: Finding}) tied to the report: each gets the quote(s) of the
    claims that name its key, and is a check where those claims hold by construction; then a stated
    check for each check-claim no finding computes, an `untestable` row for each claim this design
    cannot test, and an inconclusive row for any testable claim whose findings are missing
    (tests/test_claims.py keeps that empty)."""
    from analysis import findings as fd
    if not isinstance(found, dict):  # a spec with no claims to name them (a simulation's): a plain list
        found = {str(i): f for i, f in enumerate(found)}
    out, shown = [], set()
    for key, f in found.items():
        mine = [c for c in claims if key in c.tested_by]
        shown |= {id(c) for c in mine}
        kind = fd.CHECK if any(c.kind == CHECK for c in mine) else fd.EVIDENCE
        kind = fd.UNTESTABLE if f.kind == fd.UNTESTABLE else kind  # an arm not run here stays apart
        quote = " … ".join(dict.fromkeys(normalise(c.quote) for c in mine))
        out.append(replace(f, kind=kind, quote=quote, where="; ".join(dict.fromkeys(c.where for c in mine))))
    for c in claims:
        if id(c) in shown:
            continue
        if c.kind == CHECK:
            out.append(replace(fd.stated(c.test, fd.REPRODUCED, "holds by construction (not tested on the run)"),
                               kind=fd.CHECK, quote=normalise(c.quote), where=c.where))
        elif c.kind == UNTESTABLE:
            out.append(fd.untestable(normalise(c.quote), c.where, c.test))
        else:
            out.append(replace(fd.stated(c.test, fd.INCONCLUSIVE, "no finding of this spec tests it yet"),
                               quote=normalise(c.quote), where=c.where))
    return out


def counts(claims) -> dict[str, int]:
    return {k: sum(c.kind == k for c in claims) for k in (FINDING, CHECK, UNTESTABLE)}


def listing(study: str, claims) -> str:
    """A study's claims as `tunestudies claims` prints them."""
    n = counts(claims)
    lines = [f"## {study}: {n[FINDING]} findings, {n[CHECK]} checks, {n[UNTESTABLE]} untestable, "
             f"{len(missing(claims))} findings without a test, {len(partly_tested(claims))} tested in part"]
    for c in claims:
        status = "" if c.kind != FINDING else (
            f" (tested by: {', '.join(c.tested_by)}{f' [{c.part}]' if c.part else ''})" if c.tested_by
            else " (MISSING)")
        lines.append(f"- [{c.kind}] «{normalise(c.quote)}» ({c.where}): {c.test}{status}")
    return "\n".join(lines) + "\n"
