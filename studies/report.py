"""`tunestudies report`: the report page from the studies' stored results; with --run (what
`make report` passes), every study of the profile not complete there runs first (complete ones are
skipped; interrupted ones resumed only with --resume), each in its own process, side by side on
one Ray; with --budget, the rounds that settle most per second follow (studies/budget.py).

    tunestudies report [--profile local] [--run [--resume] [--budget 30m]] [--storage-path P]
                       [--out report] [--studies a,b] [--address A] [--parallel N] [-- STUDY OPTIONS]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from analysis.report_page import build_report
from studies.registry import STUDIES
from studies.side_by_side import RUN_FILE, Outcome, Run, ended_outcome, report_usage, runnable


def run_studies(storage: Path, profile: str, studies, study_opts=(), log=print, resume: bool = False,
                address: str | None = None, parallel: int | None = None) -> dict[str, Outcome]:
    """The fixed design: every study not complete, each in its own process, side by side on one
    Ray (studies/side_by_side.py); returns name -> Outcome. The run's slot use: <storage>/report_run.json."""
    todo, outcome = runnable(Path(storage), studies, resume, log)
    with Run(Path(storage), profile, study_opts, address, parallel, studies, log) as run:
        for name, extra in todo:
            while run.side is not None and run.side.full:
                e = run.side.wait()
                outcome[e.name] = ended_outcome(e, log)
            run.start(name, extra, "resuming" if extra else "running")
        while run.side is not None and run.side.running:
            e = run.side.wait()
            outcome[e.name] = ended_outcome(e, log)
        report_usage(Path(storage), run.usage(), log)
    return outcome


def make_report(storage, profile: str = "local", studies=STUDIES, out_dir="report", run: bool = True,
                study_opts=(), log=print, resume: bool = False, budget: str | None = None,
                address: str | None = None, parallel: int | None = None) -> tuple[Path, Path]:
    """Run (unless run=False) and collect `studies` under `storage`; write index.html and REPORT.md.
    With `budget` (studies/budget.py), the first rounds and then the rounds that settle most per
    second, within it. SystemExit (after writing the page) when a study failed, has results that
    cannot be read, or (having been run, budget permitting) has none; built from stored results, a
    study not run yet is named and left out."""
    storage = Path(storage).resolve()
    outcomes, note = {}, ""
    if run and budget:
        from studies.budget import run_budget
        outcomes = run_budget(storage, profile, studies, budget, study_opts, log, resume, address, parallel)
    elif run:
        outcomes = run_studies(storage, profile, studies, study_opts, log, resume, address, parallel)
    if (storage / RUN_FILE).exists() and run:
        note = run_note(json.loads((storage / RUN_FILE).read_text()))
    paths, missing, damaged = build_report(storage, profile, studies, out_dir, outcomes, log, note)
    failed = [name for name, o in outcomes.items() if o.text.startswith("failed")]
    unrun = [name for name, o in outcomes.items() if o.text.startswith("not run")]
    if missing and not run:
        log(f"built from what {storage} holds; not run yet: {', '.join(missing)} (--run runs them)")
    missing = [m for m in missing if m not in unrun]  # the budget chose not to run them: said on the page
    if damaged or failed or (missing and run):  # the page is written; the exit status says it is not whole
        left_out = damaged + (missing if run else [])
        raise SystemExit("report built" + (f" without: {', '.join(left_out)}" if left_out else "")
                         + (f"; failed this time: {', '.join(failed)}" if failed else ""))
    return paths


def run_note(usage: dict) -> str:
    """The run's line for the page: its wall time, slot use, and the budget's end."""
    text = (f"This run: {usage['wall_s'] / 60:.1f} min on {usage['slots']:g} slots, "
            f"{usage['share_in_trials']:.1%} of the slot-seconds inside trials")
    if usage.get("budget"):
        text += (f"; budget {usage['budget']}, {usage['rounds']} rounds after the first, "
                 f"stopped: {usage['stopped']} (rounds: budget.json beside the studies)")
    return text + "."


def main(argv=None, prog: str = "python -m studies.report") -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    study_opts = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("--profile", choices=("smoke", "local", "full"), default="local")
    p.add_argument("--storage-path", help="where the studies' results live (default: where the studies write, "
                                          "$TUNESTUDIES_STORAGE_PATH/<profile>, else results/<profile>)")
    p.add_argument("--out", default="report", help="folder for index.html and REPORT.md (default report)")
    p.add_argument("--studies", help=f"comma-separated subset (default: all {len(STUDIES)})")
    p.add_argument("--run", action="store_true",
                   help="run every study not complete there first (each in its own process; an hour "
                        "for `local` on a laptop); without it the page is built from stored results")
    p.add_argument("--no-run", action="store_true", help="build from stored results only (the default)")
    p.add_argument("--resume", action="store_true",
                   help="resume interrupted studies (unpickles Tune's state in their folders: only "
                        "for storage no one else can write)")
    p.add_argument("--budget", help="with --run: wall time (30m, 1.5h) or resource-hours (8gpu-h): the "
                                    "first rounds, then more seeds where verdicts are open, settling the "
                                    "most per second (studies/budget.py)")
    p.add_argument("--address", help="the Ray cluster every study joins (default: $RAY_ADDRESS, else one "
                                     "local Ray for the whole report)")
    p.add_argument("--parallel", type=int, help="study processes at once (default: slots + 1)")
    args = p.parse_args(argv)
    if args.budget:
        from studies.budget import parse_budget
        try:
            parse_budget(args.budget)
        except ValueError as err:
            p.exit(2, f"{p.prog}: error: --budget: {err}\n")
        if not args.run:
            p.exit(2, f"{p.prog}: error: --budget needs --run (it decides what runs)\n")
    if args.parallel is not None and args.parallel < 1:
        p.exit(2, f"{p.prog}: error: --parallel: must be >= 1\n")
    chosen = tuple(args.studies.split(",")) if args.studies else STUDIES
    unknown = [s for s in chosen if s not in STUDIES]
    if unknown:
        p.exit(2, f"{p.prog}: error: unknown study {', '.join(unknown)}; known: {', '.join(STUDIES)}\n")
    if args.run and args.no_run:
        p.exit(2, f"{p.prog}: error: --run and --no-run contradict each other\n")
    from studies.runner import default_storage
    storage = args.storage_path or default_storage(args.profile)
    try:
        make_report(storage, args.profile, chosen, args.out, args.run, study_opts, resume=args.resume,
                    budget=args.budget, address=args.address, parallel=args.parallel)
    except ValueError as err:  # a damaged budget.json, a budget in GPU-hours on a cluster with none
        p.exit(1, f"{p.prog}: error: {err}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
