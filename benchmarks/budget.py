"""The budgeted report (`make report BUDGET=30m`, studies/budget.py) into a fresh storage: what it
settled in its budget, which studies got rounds and why, how it stopped, and the share of the
slots' seconds spent inside trials. Also what each report settles: the counted findings decided
(reproduced, smaller than it matters, or not reproduced) against its wall time."""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from studies import registry


def settled(storage: Path, names) -> dict:
    """Per study and in all: counted findings, decided ones, and the report's slot use."""
    from analysis.findings import EVIDENCE, INCONCLUSIVE
    from analysis.study_result import StudyResult, state
    per = {}
    for name in names:
        if state(Path(storage) / name) != "complete":
            continue
        found = [f for f in StudyResult.load(Path(storage) / name).findings if f.kind == EVIDENCE]
        per[name] = {"findings": len(found), "settled": sum(f.verdict != INCONCLUSIVE for f in found)}
    return {"per_study": per, "findings": sum(p["findings"] for p in per.values()),
            "settled": sum(p["settled"] for p in per.values())}


def measure(profile: str, budget: str, names=None, storage: str | None = None) -> dict:
    """Run `make report BUDGET=budget` for `names` into `storage` (default: a fresh folder); a
    storage that already holds a finished budgeted report of that budget is read, not run again
    (its wall time is the one it recorded, without the page)."""
    from studies.report import RUN_FILE, make_report
    names = list(names or registry.STUDIES)
    storage = Path(storage or tempfile.mkdtemp(prefix="bench-budget-"))
    done = json.loads((storage / RUN_FILE).read_text()) if (storage / RUN_FILE).exists() else {}
    if done.get("budget") == budget:
        total = done["wall_s"]
    else:
        t0 = time.perf_counter()
        try:
            make_report(storage, profile, tuple(names), storage / "report", log=print, budget=budget)
        except SystemExit as err:
            print(err)
        total = time.perf_counter() - t0
    ledger = json.loads((storage / "budget.json").read_text())
    return {"profile": profile, "budget": budget, "total_s": total, "storage": str(storage),
            "usage": json.loads((storage / RUN_FILE).read_text()), "stopped": ledger["stopped"],
            "rounds": [{k: r[k] for k in ("study", "arms", "seeds_from", "seeds_to", "expected_settled",
                                          "cost_s", "took_s")} for r in ledger["rounds"]],
            "not_run": [n for n in names if not (storage / n / "trials.parquet").exists()],
            **settled(storage, names)}


def report(run: dict) -> str:
    u = run["usage"]
    lines = [f"`make report PROFILE={run['profile']} BUDGET={run['budget']}` into a fresh storage: "
             f"{run['total_s'] / 60:.1f} min wall, {run['settled']} of {run['findings']} counted "
             f"findings settled, {u['share_in_trials']:.1%} of {u['slots']:g} slots' seconds inside trials; "
             f"stopped: {run['stopped']}." + (f" Not run within the budget: {', '.join(run['not_run'])}."
                                               if run.get("not_run") else ""), "",
             "| study | counted findings | settled |", "| --- | --- | --- |"]
    lines += [f"| {name} | {p['findings']} | {p['settled']} |" for name, p in run["per_study"].items()]
    lines += ["", f"Rounds after the first ({len(run['rounds'])}), in the order they ended (expected = the findings "
                  "the round was forecast to settle; cost = its predicted trial seconds):", "",
              "| study | seeds | arms | expected | predicted trial-s | took, s |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r['study']} | {r['seeds_from']}-{r['seeds_to'] - 1} | {', '.join(r['arms'])} | "
              f"{r['expected_settled']:.2f} | {r['cost_s']:.0f} | {r['took_s']:.0f} |" for r in run["rounds"]]
    return "\n".join(lines) + "\n"
