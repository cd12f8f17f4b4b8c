"""Bad input: one clear line on stderr, a non-zero exit, no traceback, nothing stored lost."""
from tests.conftest import run_script


def test_bad_input_is_one_clear_line_from_the_script_itself(tmp_path):
    """The script as a user runs it (its exit status, its stderr); every other bad input is in
    tests/test_bad_input.py's table, refused by the same code in-process."""
    done = run_script("regularization", "--storage-path", str(tmp_path), "--seeds", "0")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--seeds: must be > 0" in lines[0], done.stderr
    assert "Traceback" not in done.stderr and not any(tmp_path.iterdir())


def test_an_existing_study_is_never_overwritten(regularization_run):
    before = sorted(p.name for p in regularization_run.iterdir())
    done = run_script("regularization", "--profile", "smoke", "--storage-path", str(regularization_run.parent))
    assert done.returncode == 2 and "already holds a study" in done.stderr
    assert sorted(p.name for p in regularization_run.iterdir()) == before


def test_help_lists_every_option():
    done = run_script("lr_sweep", "--help")
    for option in ("--profile", "--seeds", "--num-samples", "--scheduler", "--search", "--max-concurrent",
                   "--cpus-per-trial", "--gpus-per-trial", "--address", "--storage-path", "--name",
                   "--resume", "--set"):
        assert option in done.stdout
