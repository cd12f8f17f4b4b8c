"""The `tunestudies` console script (studies/cli.py), in-process and without Ray."""
import importlib
import tomllib

import pytest

from studies import cli, registry
from tests.conftest import ROOT


def test_the_console_script_names_an_existing_function():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, func = scripts["tunestudies"].partition(":")
    assert getattr(importlib.import_module(module), func) is cli.main


def test_list_names_every_study_with_its_metric_and_direction(capsys):
    assert cli.main(["list"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in rows] == list(registry.STUDIES)
    for row in rows:
        study = registry.load(row.split()[0])
        assert row.split()[1:4] == [study.train.__name__, study.mode, study.metric]


def test_check_passes_every_registered_study(capsys):
    assert cli.main(["check"]) == 0
    assert capsys.readouterr().out.split() == [w for name in registry.STUDIES for w in (f"{name}:", "ok")]


@pytest.mark.parametrize("argv,status,message", [
    (["run", "nope"], 2, "unknown study 'nope'"),
    (["run"], 2, "usage: tunestudies run STUDY"),
    (["frobnicate"], 2, "unknown command 'frobnicate'"),
    (["analyse"], 2, "usage: python -m analysis"),
    (["analyse", "/no/such/folder"], 1, "no manifest.json"),
])
def test_bad_input_is_one_line_and_a_status(argv, status, message, capsys):
    try:
        got = cli.main(argv)
    except SystemExit as exit_:
        got = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert got == status and len(err) == 1 and message in err[0], err


def test_run_passes_its_options_to_the_study_and_names_itself(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "lr_sweep", "--profile", "smoke", "--storage-path", str(tmp_path), "--set", "lrr=1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1
    assert err[0].startswith("tunestudies run lr_sweep: error: --set lrr: unknown key (did you mean 'lr'?)")
    assert not any(tmp_path.iterdir())
