"""What a study prints: its progress lines while it runs (studies/progress.py), and at the end the
table, the output paths and the findings, with nothing after them. Ray's own output (trial
boxes, worker logs, its warnings) is there only with -v. Imports no Ray."""
from __future__ import annotations

import json
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
    found = [JsonLoggerCallback(), StudyTBXLogger(study.metric, study.mode, space.arms, list(space.nuisance), space.max_epochs,
                            getattr(study.train, "defaults", None))]
    if not (args.verbose or args.quiet):
        from studies.progress import Console
        total = expected_trials(space, args)
        found.append(Console(study.metric, study.mode, space.max_epochs, list(space.nuisance), total,
                             total // max(1, len(space.arms) * space.seeds)))
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


def record_wall(out_dir: Path, started: float, ended: float, resumed: bool) -> None:
    path = Path(out_dir) / WALL_FILE
    runs = json.loads(path.read_text()) if path.exists() else []
    runs.append({"started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
                 "wall_s": round(ended - started, 3), "resumed": bool(resumed)})
    path.write_text(json.dumps(runs, indent=1))


def summary(paths, out_dir: Path) -> None:
    """The end of a run: the table (its notes stay in table.md), where everything is, and the
    verdicts last, one line each (effects, intervals and evidence: findings.md)."""
    folder = Path(paths.folder)
    names = [str(Path(p).relative_to(folder)) if Path(p).is_relative_to(folder) else str(p)
             for p in paths.listing()]
    table = paths.table.read_text().rstrip().split("\n\n")
    print("\n\n".join(part for part in table if not part.startswith(("Note:", "Trial counts:", "Trivial baseline rows:",
                                                                      "Flags:"))))
    print()
    print(f"outputs in {folder}/: {', '.join(names)}")
    print(f"tensorboard --logdir {out_dir}")
    print()
    print("\n".join(verdict_lines(folder)), flush=True)


def verdict_lines(folder: Path) -> list[str]:
    """findings.md in brief: its title, one line per finding (verdict, claim), then the checks and
    the claims this design cannot test, counted."""
    from analysis.findings import CHECK, EVIDENCE, UNTESTABLE, counts_line
    from analysis.study_result import StudyResult
    found = StudyResult.load(folder).findings
    title = Path(folder, "findings.md").read_text().splitlines()[0]
    evidence = [f for f in found if f.kind == EVIDENCE]
    lines = [f"{title} (effects, intervals, evidence: {Path(folder, 'findings.md')})"]
    lines += [f"  {f.caveat or f.verdict:<52} {f.claim}" for f in evidence]
    lines.append("  " + counts_line(evidence)
                 + f"; checks: {', '.join(f'{f.verdict}' for f in found if f.kind == CHECK) or 'none'}"
                 + f"; untestable here: {sum(f.kind == UNTESTABLE for f in found)}")
    return lines
