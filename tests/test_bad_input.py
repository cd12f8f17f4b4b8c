"""Every bad input: one line on stderr, a non-zero exit, nothing stored lost, and Ray never
started (each is refused before). One table, one row per invocation a user could type."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from analysis.__main__ import main as analyse
from analysis.manifest import redact
from studies.lr_sweep import STUDY
from studies.report import main as report
from studies.runner import main as run_lr_sweep

MANIFEST = {"study": "lr_sweep", "max_epochs": 1, "metric": "val_acc", "mode": "max"}


def _study(argv):
    return run_lr_sweep(STUDY, ["--profile", "smoke", *argv], prog="lr_sweep")


WRITTEN: dict[Path, bytes] = {}  # what `stored` left, to check that a refusal changed none of it


def stored(tmp: Path, **files: str | bytes) -> Path:
    """A results folder holding `files` (name -> content), as a crash or a hand left it."""
    folder = tmp / "results" / "lr_sweep"
    folder.mkdir(parents=True)
    for name, content in files.items():
        path = folder / name.replace("__", ".")
        WRITTEN[path] = content if isinstance(content, bytes) else content.encode()
        path.write_bytes(WRITTEN[path])
    return folder


def damaged_budget(tmp: Path) -> Path:
    """A storage whose budget.json (studies/budget.py) was cut short."""
    path = tmp / "results" / "budget.json"
    path.parent.mkdir(parents=True)
    WRITTEN[path] = b"{half"
    path.write_bytes(WRITTEN[path])
    return path.parent


# name -> (the invocation, given a scratch folder; the word the one line must hold; files left as they were)
CASES = {
    # what argparse refuses: the one line it prints, exit status 2
    "--profile huge": (lambda t: _study(["--profile", "huge"]), "invalid choice: 'huge'"),
    "--seeds 0": (lambda t: _study(["--seeds", "0"]), "--seeds: must be > 0"),
    "--seeds two": (lambda t: _study(["--seeds", "two"]), "--seeds: expected a int"),
    "--gpus-per-trial -1": (lambda t: _study(["--gpus-per-trial", "-1"]), "must be >= 0"),
    "--set nope=1": (lambda t: _study(["--set", "nope=1"]), "--set nope: unknown key"),
    "--set lr=fast": (lambda t: _study(["--set", "lr=fast"]), "--set lr=fast: expected a float"),
    "--set epochs": (lambda t: _study(["--set", "epochs"]), "expected key=value"),
    "--name ../escape": (lambda t: _study(["--name", "../escape"]), "--name"),
    "--resume with nothing to resume": (lambda t: _study(["--resume", "--storage-path", str(t)]),
                                        "--resume: no interrupted study"),
    "a 300-character --name": (lambda t: _study(["--name", "n" * 300]), "at most 100 characters"),
    "--resume over a truncated manifest": (
        lambda t: _study(["--resume", "--storage-path", str(stored(t, tuner__pkl=b"x", manifest__json='{"stu').parent)]),
        "is damaged"),
    "an unknown storage scheme": (lambda t: _study(["--storage-path", "foo://bar"]), "unknown scheme foo://"),
    "--until-settled on a bucket": (lambda t: _study(["--until-settled", "--storage-path", "gs://b/x"]),
                                    "needs a local or NFS"),
    "file:// that cannot be written": (lambda t: _study(["--storage-path", "file:///proc/x"]), "cannot be written"),
    "an address where nothing answers": (lambda t: _study(["--address", "127.0.0.1:1"]), "nothing answers"),
    "batch_size=0": (lambda t: _study(["--set", "batch_size=0"]), "at least 1"),
    "batch_size=-64": (lambda t: _study(["--set", "batch_size=-64"]), "at least 1"),
    "lr=nan": (lambda t: _study(["--set", "lr=nan"]), "finite"),
    "lr=-1": (lambda t: _study(["--set", "lr=-1"]), "> 0"),
    "momentum=-5": (lambda t: _study(["--set", "momentum=-5"]), "[0, 1)"),
    "width=0": (lambda t: _study(["--set", "width=0"]), "at least 1"),
    "device=nosuch": (lambda t: _study(["--set", "device=nosuch"]), "cuda:N"),
    "an optimizer that is HTML": (lambda t: _study(["--set", "optimizer=<b>sgd</b>"]), "one of adam, sgd"),
    "report --budget in unknown units": (
        lambda t: report(["--run", "--budget", "3 days", "--storage-path", str(t)]), "expected a positive time"),
    "report --budget over a damaged budget.json": (
        lambda t: report(["--run", "--budget", "30m", "--profile", "smoke", "--studies", "lr_sweep",
                          "--storage-path", str(damaged_budget(t))]), "is damaged"),
    "report --budget without --run": (lambda t: report(["--budget", "30m", "--storage-path", str(t)]), "needs --run"),
    "--more on a study run without --until-settled": (
        lambda t: _study(["--more", "--storage-path", str(stored(t, tuner__pkl=b"x", findings__md="x",
                                                               trials__parquet=b"x", wall_times__json="[]",
                                                               manifest__json=json.dumps(MANIFEST)).parent)]),
        "was run without --until-settled"),
    "--rounds without --until-settled": (lambda t: _study(["--rounds", "1"]), "only with --until-settled"),
    "analyse on a manifest {}": (lambda t: analyse([str(stored(t, manifest__json="{}"))]), "not a study's manifest"),
    "report --no-run over a corrupted trials.parquet": (
        lambda t: report(["--profile", "smoke", "--no-run", "--studies", "lr_sweep", "--out", str(t / "report"),
                          "--storage-path", str(stored(t, manifest__json=json.dumps(MANIFEST), findings__md="x",
                                                       trials__parquet=b"PAR1 broken", wall_times__json="[]").parent)]),
        "report built without: lr_sweep"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_a_non_zero_exit(case, tmp_path, capsys):
    invoke, says = CASES[case]
    start = time.monotonic()
    with pytest.raises(SystemExit) as exit_:
        code = invoke(tmp_path)
        raise SystemExit(code)  # the analysis CLI returns its status
    took = time.monotonic() - start
    err = capsys.readouterr().err
    status = exit_.value.code
    lines = [line for line in err.splitlines() if line.strip()] + \
        ([status] if isinstance(status, str) else [])  # SystemExit("text") prints its text
    assert status not in (0, None), err
    assert len(lines) == 1 and says in str(lines[0]) and "Traceback" not in err, lines
    assert took < 20, f"{case} took {took:.0f} s"
    left = {p: p.read_bytes() for p in (tmp_path / "results").rglob("*") if p.is_file()}
    assert left == {p: c for p, c in WRITTEN.items() if p.is_relative_to(tmp_path)}  # nothing stored changed


def test_a_password_in_a_storage_url_is_never_written():
    assert redact('{"optuna_storage": "postgresql://bob:s3cret@db/x"}') == '{"optuna_storage": "postgresql://bob:***@db/x"}'
    assert redact("sqlite:////tmp/o.db s3://bucket/p") == "sqlite:////tmp/o.db s3://bucket/p"


