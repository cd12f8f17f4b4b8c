"""--until-settled: more seeds, in rounds, for the arms of inconclusive findings.

Each round is one more Tune run in the same experiment folder (new trials, the next seed ids, only
the arms an inconclusive finding compares); the findings are rebuilt from every trial after each
round. Seeds double each round up to MAX_SEEDS (few rounds, since each costs a Tune start). The
manifest records the rounds; an interrupted round is continued by the same command with
--resume (which restores the latest round's Tuner), after which the rounds go on. Seeds added for
one arm are not added to an arm whose findings had settled: comparisons pair over the seeds both
arms have."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Callable

from analysis import build, findings, manifest
from analysis.settling import open_findings
from analysis.study_result import ROUND_MARK
from search_spaces.space import Space


def next_round(found, arms: list[str], have: int, max_seeds: int) -> tuple[list[str], int] | None:
    """(arms to extend, seeds they will have) for the next round, or None when no open finding has
    a chance to settle with more seeds (analysis/settling.py: a flag holds it, or no spread yet),
    or MAX_SEEDS is reached."""
    if have >= max_seeds:
        return None
    more = min(max_seeds, max(have + 1, 2 * have))
    todo, _ = open_findings(found, arms, more)
    return (todo, more) if todo else None


def _record(out_dir: Path, arms: list[str], have: int, more: int) -> None:
    m = manifest.read(out_dir)
    m.setdefault("initial_seeds", m["seeds"])
    m["seeds"] = list(range(more))
    m.setdefault("rounds", []).append({"seeds": list(range(have, more)), "arms": arms})
    (Path(out_dir) / "manifest.json").write_text(json.dumps(m, indent=2, default=str))
    (Path(out_dir) / ROUND_MARK).write_text(json.dumps(m["rounds"][-1]))  # gone once its outputs are built


def until_settled(fit: Callable[[Space], None], space: Space, paths: build.Outputs, max_seeds: int,
                  rounds: int | None = None):
    """`fit(space)` runs one Tune round; `paths`: the outputs built after the first. At most
    `rounds` rounds (None: until settled). Returns the outputs built after the last one."""
    out_dir = Path(paths.folder)
    while True:
        stored = paths.result
        m = stored.manifest
        # seeds that have trials (a round cut short before its Tuner was stored is planned again)
        have, arms = int(stored.trials["seed"].max()) + 1, list(m["arms"])
        plan = next_round(stored.findings, arms, have, max_seeds)
        if plan is None:
            left = sum(f.verdict == findings.INCONCLUSIVE for f in stored.findings)
            print(f"--until-settled: {have} seeds; {left} finding(s) still inconclusive"
                  + (f" at the limit of {max_seeds} seeds" if left else ""))
            return paths
        if rounds is not None and rounds <= 0:
            print(f"--until-settled: {have} seeds; the rounds asked for are done (the next would add "
                  f"seeds to {', '.join(plan[0])})")
            return paths
        rounds = None if rounds is None else rounds - 1
        todo, more = plan
        print(f"--until-settled: seeds {have}-{more - 1} for {', '.join(todo)}")
        _record(out_dir, todo, have, more)
        fit(replace(space, arms={a: m["arms"][a] for a in todo}, first_seed=have, seeds=more))
        paths = build.from_experiment(out_dir)
        (out_dir / ROUND_MARK).unlink(missing_ok=True)
