"""What a study prints: its progress lines while it runs (studies/progress.py), and at the end the
table, the output paths and the findings, with nothing after them. Ray's own output (trial
boxes, worker logs, its warnings) is there only with -v. Imports no Ray."""
from __future__ import annotations

import json
import logging
import math
import os
import time
from pathlib import Path

from analysis.study_result import WALL_FILE


def expected_trials(space, args) -> int:
    groups = len(space.arms) * space.seeds
    if args.search == "optuna":
        return groups * space.num_samples
    grid = math.prod(len(n.grid) for n in space.nuisance.values())
    return groups * grid * (args.num_samples or 1)


def callbacks(study, space, args) -> list:
    """The Tune callbacks a study runs with: its TensorBoard logger always, the progress lines
    unless -v (Ray's reporter talks then) or -q (nothing but the summary)."""
    from ray.tune.logger import JsonLoggerCallback

    from studies.tb_logger import StudyTBXLogger
    # Tune's own loggers are off (studies.console.quiet_ray): result.json is what the analysis reads;
    # progress.csv, read by nothing here, was one more file write per result in the driver
    found = [JsonLoggerCallback(), StudyTBXLogger(study.metric, study.mode)]
    if not (args.verbose or args.quiet):
        from studies.progress import Console
        total = expected_trials(space, args)
        groups = len(space.arms) * len(space.seed_ids())
        found.append(Console(study.metric, study.mode, space.max_epochs, list(space.nuisance), total,
                             total // max(1, groups), select_epoch=min(space.grace_epochs, space.max_epochs),
                             groups=groups))
    return found


def quiet_ray(verbose: bool) -> None:
    """Before Ray starts: silence what our own settings make Ray say. Checkpointing every epoch
    with a few kept makes Tune warn about frequent snapshots on every small study."""
    if not verbose:
        os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
        # Tune's newer reporter prints an experiment box and paths even at verbose=0; the
        # older one is silent at 0
        os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # the loggers a study needs are passed explicitly (callbacks above): JSON and TensorBoard, no CSV
    os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"
    if not verbose:  # an errored trial is one line of ours; its traceback stays in its error.txt
        logging.getLogger("ray.tune.execution.tune_controller").addFilter(_NoTrialTraceback())


class _NoTrialTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Trial task failed for trial")


def record_wall(out_dir: Path, started: float, ended: float, resumed: bool) -> None:
    path = Path(out_dir) / WALL_FILE
    runs = json.loads(path.read_text()) if path.exists() else []
    runs.append({"started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
                 "wall_s": round(ended - started, 3), "resumed": bool(resumed)})
    path.write_text(json.dumps(runs, indent=1))


def summary(paths, out_dir: Path) -> None:
    """The end of a run, within 100 columns: a compact table (this run beside the report, on the
    table's first column; flags as numbered footnotes), where everything is, and the findings last,
    one line each with its effect (every column, interval and note: table.md; evidence: findings.md)."""
    import textwrap

    from studies.progress import fit
    folder = Path(paths.folder)
    names = [str(Path(p).relative_to(folder)) if Path(p).is_relative_to(folder) else str(p)
             for p in paths.listing()]
    print("\n".join(compact_table(folder, paths.result.spec)))
    errored = [part for part in paths.table.read_text().split("\n\n") if part.startswith("**Every trial errored")]
    for part in errored:  # why every number is missing, and each distinct error
        print("\n".join(fit(line) for line in part.splitlines()))
    print()
    print("\n".join(textwrap.wrap(f"outputs in {folder}/: {', '.join(names)}", 100, break_on_hyphens=False)))
    print(fit(f"tensorboard --logdir {out_dir}"))
    print()
    print("\n".join(fit(line) for line in verdict_lines(folder, paths.result.findings)), flush=True)


def compact_table(folder: Path, spec) -> list[str]:
    import pandas as pd

    from studies.progress import fit
    col = spec.columns[0]
    t = pd.read_csv(Path(folder) / "table.csv", keep_default_na=False)
    notes: dict[str, int] = {}
    rows = [("", "setting", col.label[:26], "report", "flags")]
    for _, r in t.iterrows():
        mean, lo, hi = (r.get(f"{col.source}_{k}") for k in ("mean", "lo", "hi"))
        value = "—" if mean in ("", None) else format(float(mean), col.fmt)
        if lo not in ("", None) and hi not in ("", None):
            value += f" [{float(lo):{col.fmt}}, {float(hi):{col.fmt}}]"
        report = r.get(f"{col.source}_report", "")
        report = format(float(report), col.fmt) if _is_number(report) else (str(report) or "—")
        marks = []
        for flag in [f.strip() for f in str(r.get("flags") or "").split(";") if f.strip()]:
            marks.append(notes.setdefault(flag, len(notes) + 1))
        label = str(r.get("label") or r.get("arm"))
        label = label.replace("trivial baseline (", "baseline: ").rstrip(")")
        rows.append((label[:30], str(r.get("setting") or "")[:18], value, report[:8],
                     " ".join(f"[{n}]" for n in marks)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"# {spec.title}"]
    lines += [fit("  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4]).rstrip() for row in rows]
    lines += [fit(f"[{n}] {flag}") for flag, n in notes.items()]
    lines.append(fit(f"(every column, its interval and the notes: {Path(folder) / 'table.md'})"))
    return lines


def _is_number(x) -> bool:
    try:
        float(x)
        return x != ""
    except (TypeError, ValueError):
        return False


def verdict_lines(folder: Path, found: list) -> list[str]:
    """findings.md in brief (`found`: the judged findings it was written from): its title, one line
    per finding (verdict, effect, claim), then the checks and the claims untestable here, counted."""
    from analysis.findings import CHECK, EVIDENCE, UNTESTABLE, counts_line
    from analysis.scorecard import number
    title = Path(folder, "findings.md").read_text().splitlines()[0]
    evidence = [f for f in found if f.kind == EVIDENCE]
    lines = [title, f"(effects, intervals, evidence: {Path(folder, 'findings.md')})"]
    lines += [f"  {f.verdict + ('*' if f.caveat else ''):<15} {number(f.effect, ''):>9}  {f.claim}" for f in evidence]
    if any(f.caveat for f in evidence):
        lines.append("  * a flag decided it (findings.md says which and how far it could move)")
    lines.append("  " + counts_line(evidence)
                 + f"; checks: {', '.join(f'{f.verdict}' for f in found if f.kind == CHECK) or 'none'}"
                 + f"; untestable here: {sum(f.kind == UNTESTABLE for f in found)}")
    return lines
