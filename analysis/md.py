"""Text a run wrote (error messages, file names, `--set` values), made safe to put in Markdown:
it stays one span or one table cell whatever characters it holds. HTML is escaped later, when the
page is made (analysis/report_page.py)."""
from __future__ import annotations

import re


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def code(text: str) -> str:
    """`text` as one inline code span: the fence is longer than any run of backticks inside it."""
    text = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    """`text` as one table cell: one line, its pipes escaped."""
    return one_line(text).replace("|", "\\|")
