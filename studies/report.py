"""`tunestudies report`: the report page from the studies' stored results; with --run (what
`make report` passes), every study of the profile not complete there runs first (complete ones are
skipped; interrupted ones resumed only with --resume), each in its own process.

    tunestudies report [--profile local] [--run [--resume]] [--storage-path P] [--out report]
                       [--studies a,b] [-- STUDY OPTIONS]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from analysis.report_page import build_report
from analysis.study_result import state
from studies.registry import STUDIES

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_FILE = "console.txt"


@dataclass(frozen=True)
class Outcome:
    """What running one study did: `text` for the page, `seconds` the process's wall time (None: not run)."""
    text: str
    seconds: float | None = None


def run_studies(storage: Path, profile: str, studies, study_opts=(), log=print,
                resume: bool = False) -> dict[str, Outcome]:
    """Each study in its own process (one Ray each, a crash stays in its study); returns name -> Outcome.
    An interrupted study is resumed only when `resume` asks for it: a resume unpickles Tune's
    state (tuner.pkl, the searcher and scheduler) from its folder, so it runs whatever code
    whoever could write there put in it."""
    outcome = {}
    for name in studies:
        folder = storage / name
        now = state(folder)
        if now == "complete":
            log(f"{name}: complete under {folder}, skipped")
            outcome[name] = Outcome("skipped (complete)")
            continue
        if now == "interrupted" and not resume:
            log(f"{name}: interrupted under {folder}, not resumed (resuming unpickles Tune's state there: "
                f"make report RESUME=1, or --resume, if you trust that folder)")
            outcome[name] = Outcome("interrupted, not resumed (RESUME=1 resumes it)")
            continue
        cmd = [sys.executable, str(ROOT / "studies" / f"{name}.py"), "--profile", profile,
               "--storage-path", str(storage), *(["--resume"] if now == "interrupted" else []),
               *study_opts]
        log(f"{name}: {'resuming' if now == 'interrupted' else 'running'} ({profile}) ...")
        start = time.monotonic()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        took = time.monotonic() - start
        if folder.is_dir():  # what the study printed (its progress lines, table, findings), kept beside it
            (folder / CONSOLE_FILE).write_text(done.stdout + (f"\n[stderr]\n{done.stderr}" if done.stderr else ""))
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
            log(f"{name}: FAILED after {took:.0f} s (exit {done.returncode}): {reason}")
            outcome[name] = Outcome(f"failed: {reason}", took)
        else:
            log(f"{name}: done in {took:.0f} s")
            outcome[name] = Outcome(f"ran in {took:.0f} s", took)
    return outcome


def make_report(storage, profile: str = "local", studies=STUDIES, out_dir="report", run: bool = True,
                study_opts=(), log=print, resume: bool = False) -> tuple[Path, Path]:
    """Run (unless run=False) and collect `studies` under `storage`; write index.html and REPORT.md.
    SystemExit (after writing the page) when a study failed, has results that cannot be read, or
    (having been run) has none; built from stored results, a study not run yet is named and left out."""
    storage = Path(storage).resolve()
    outcomes = run_studies(storage, profile, studies, study_opts, log, resume) if run else {}
    paths, missing, damaged = build_report(storage, profile, studies, out_dir, outcomes, log)
    failed = [name for name, o in outcomes.items() if o.text.startswith("failed")]
    if missing and not run:
        log(f"built from what {storage} holds; not run yet: {', '.join(missing)} (--run runs them)")
    if damaged or failed or (missing and run):  # the page is written; the exit status says it is not whole
        left_out = damaged + (missing if run else [])
        raise SystemExit("report built" + (f" without: {', '.join(left_out)}" if left_out else "")
                         + (f"; failed this time: {', '.join(failed)}" if failed else ""))
    return paths


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
    args = p.parse_args(argv)
    chosen = tuple(args.studies.split(",")) if args.studies else STUDIES
    unknown = [s for s in chosen if s not in STUDIES]
    if unknown:
        p.exit(2, f"{p.prog}: error: unknown study {', '.join(unknown)}; known: {', '.join(STUDIES)}\n")
    if args.run and args.no_run:
        p.exit(2, f"{p.prog}: error: --run and --no-run contradict each other\n")
    from studies.runner import default_storage
    storage = args.storage_path or default_storage(args.profile)
    make_report(storage, args.profile, chosen, args.out, args.run, study_opts, resume=args.resume)
    return 0


if __name__ == "__main__":
    sys.exit(main())
