"""Bad input: one clear line on stderr, a non-zero exit, no traceback, nothing stored lost."""
import pytest

from tests.conftest import run_script

BAD = [
    (["--profile", "huge"], "invalid choice: 'huge'"),
    (["--seeds", "0"], "--seeds: must be > 0"),
    (["--seeds", "two"], "--seeds: expected a int"),
    (["--gpus-per-trial", "-1"], "must be >= 0"),
    (["--set", "nope=1"], "--set nope: unknown key"),
    (["--set", "lr=fast"], "--set lr=fast: expected a float"),
    (["--set", "epochs"], "expected key=value"),
    (["--name", "../escape"], "--name"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_clear_line(args, message, tmp_path):
    done = run_script("regularization", "--storage-path", str(tmp_path), *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_resume_with_nothing_to_resume(tmp_path):
    done = run_script("lr_sweep", "--storage-path", str(tmp_path), "--resume")
    assert done.returncode == 2 and "--resume: no interrupted study" in done.stderr
    assert "Traceback" not in done.stderr


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
