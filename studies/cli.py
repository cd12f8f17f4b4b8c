"""`tunestudies`: one command for every study, beside the plain `python studies/X.py`.

    tunestudies list                      # every study: its trainable, metric and report item
    tunestudies check [STUDY ...]         # the study contract (studies/contract.py), every profile
    tunestudies run STUDY [options]       # = python studies/STUDY.py [options]
    tunestudies analyse DIR [--reexport]  # = python -m analysis DIR
    tunestudies report [args]             # = make report: run the studies, then the report page
    tunestudies claims [STUDY ...]        # the report's claims per study and the findings that test them
    tunestudies baselines [--profile P] [STUDY ...]  # the trivial baselines on the study's data
    tunestudies cluster-check [YAML]      # cluster.yaml checked before `ray up` launches anything
"""
from __future__ import annotations

import sys

from studies import registry

USAGE = "usage: tunestudies COMMAND [ARGS]  (tunestudies COMMAND --help: its options)\n\n" + \
    __doc__.split("\n\n", 1)[1].rstrip()


def _error(message: str, status: int = 2) -> int:
    print(f"tunestudies: error: {message}", file=sys.stderr)
    return status


def _study(name: str):
    try:
        return registry.load(name)
    except KeyError as err:
        raise SystemExit(_error(err.args[0])) from None


def _call_keywords(path, callee: str) -> dict:
    """The literal arguments of the first `callee(...)` call in a source file (positional as 0, 1, ...;
    names as their text), read without importing it: listing the studies must not load torch."""
    import ast
    tree = ast.parse(path.read_text())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == callee)
    out = {i: (a.id if isinstance(a, ast.Name) else ast.literal_eval(a)) for i, a in enumerate(call.args)
           if isinstance(a, (ast.Name, ast.Constant))}
    out.update({k.arg: ast.literal_eval(k.value) for k in call.keywords
                if k.arg and isinstance(k.value, ast.Constant)})
    return out


def cmd_list(args: list[str]) -> int:
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    for name in registry.STUDIES:
        study = _call_keywords(root / "studies" / f"{name}.py", "Study")
        title = str(_call_keywords(root / "analysis" / "report" / f"{name}.py", "ReportSpec").get("title", ""))
        print(f"{name:24} {study.get(1, '?'):22} {study.get('mode', 'max')} {study.get('metric', 'val_acc'):14} "
              f"{title.split(':')[0]}")
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
    from studies.report import main
    return main(args, prog="tunestudies report")


def cmd_claims(args: list[str]) -> int:
    from analysis.claims import listing
    from analysis.report import spec_for
    for name in args or registry.STUDIES:
        _study(name)
        print(listing(name, spec_for(name).claims))
    return 0


def study_data(name: str, profile: str):
    """The study's data and settings exactly as its runner gets them (no Ray started)."""
    s = _study(name)
    space = s.space(profile, "grid")
    space.fixed["profile"] = profile
    return s.load_data(space.fixed), space.fixed


def cmd_baselines(args: list[str]) -> int:
    import argparse

    from analysis.baselines import baselines
    from analysis.report import spec_for
    parser = argparse.ArgumentParser(prog="tunestudies baselines",
                                     description="The trivial baselines of each study on its data.")
    parser.add_argument("--profile", default="local", choices=("smoke", "local"))
    parser.add_argument("studies", nargs="*", default=list(registry.STUDIES))
    opts = parser.parse_args(args)
    for name in opts.studies:
        data, config = study_data(name, opts.profile)
        for row in baselines(spec_for(name), data, config):
            values = ", ".join(f"{k} {v:.4g}" for k, v in row.items() if isinstance(v, float))
            print(f"{name} [{opts.profile}] {row['name']}: {values}", flush=True)
    return 0


def cmd_cluster_check(args: list[str]) -> int:
    from studies.cluster_check import main
    return main(args)


COMMANDS = {"list": cmd_list, "check": cmd_check, "run": cmd_run, "analyse": cmd_analyse,
            "analyze": cmd_analyse, "report": cmd_report, "claims": cmd_claims, "baselines": cmd_baselines,
            "cluster-check": cmd_cluster_check}


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
