"""`tunestudies`: one command for every study, beside the plain `python studies/X.py`.

    tunestudies list                      # every study: its trainable, metric and report item
    tunestudies check [STUDY ...]         # the study contract (studies/contract.py), every profile
    tunestudies run STUDY [options]       # = python studies/STUDY.py [options]
    tunestudies analyse DIR [--reexport]  # = python -m analysis DIR
    tunestudies report [args]             # the report page built from stored results
    tunestudies cluster-check [YAML]      # cluster.yaml checked before `ray up` launches anything
"""
from __future__ import annotations

import sys

from studies import registry

USAGE = __doc__.split("\n\n", 1)[1].rstrip()


def _error(message: str, status: int = 2) -> int:
    print(f"tunestudies: error: {message}", file=sys.stderr)
    return status


def _study(name: str):
    try:
        return registry.load(name)
    except KeyError as err:
        raise SystemExit(_error(err.args[0])) from None


def cmd_list(args: list[str]) -> int:
    from analysis.report import spec_for
    for name in registry.STUDIES:
        study = registry.load(name)
        title = spec_for(name).title.split(":")[0]
        print(f"{name:24} {study.train.__name__:22} {study.mode} {study.metric:14} {title}")
    return 0


def cmd_check(args: list[str]) -> int:
    from search_spaces.space import PROFILES
    from studies import contract
    bad = 0
    for name in args or registry.STUDIES:
        study = _study(name)
        lines = dict.fromkeys(line for profile in PROFILES for search in ("grid", "optuna")
                              for line in contract.violations(study, study.space(profile, search)))
        for line in lines:
            print(f"{name}: {line}", file=sys.stderr)
        bad += bool(lines)
        print(f"{name}: {'BROKEN' if lines else 'ok'}")
    return 2 if bad else 0


def cmd_run(args: list[str]) -> int:
    if not args or args[0].startswith("-"):
        return _error("usage: tunestudies run STUDY [options]  (STUDY: " + ", ".join(registry.STUDIES) + ")")
    from studies.runner import main
    main(_study(args[0]), args[1:], prog=f"tunestudies run {args[0]}")
    return 0


def cmd_analyse(args: list[str]) -> int:
    from analysis.__main__ import main
    return main(args)


def cmd_report(args: list[str]) -> int:
    import importlib.util
    if importlib.util.find_spec("analysis.report_page") is None:
        return _error("report: not available in this version (no analysis/report_page.py)", 1)
    from analysis import report_page
    return report_page.main(args)


def cmd_cluster_check(args: list[str]) -> int:
    from studies.cluster_check import main
    return main(args)


COMMANDS = {"list": cmd_list, "check": cmd_check, "run": cmd_run, "analyse": cmd_analyse,
            "analyze": cmd_analyse, "report": cmd_report, "cluster-check": cmd_cluster_check}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        return _error(f"unknown command {argv[0]!r}; one of: {', '.join(COMMANDS)}")
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
