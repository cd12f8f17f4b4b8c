"""The data cache: built once, and a corrupt or truncated file is refused by its hash."""
import numpy as np
import pytest

from tests.conftest import run_script
from trainables.data.cache import DataError, cached_arrays


def test_built_once_then_read(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path))
    calls = []
    build = lambda: calls.append(1) or {"x": np.arange(10)}
    assert cached_arrays("k", build)["x"].sum() == 45
    assert cached_arrays("k", build)["x"].sum() == 45 and len(calls) == 1


def test_a_truncated_file_is_refused_by_its_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path))
    cached_arrays("k", lambda: {"x": np.arange(1000)})
    path = tmp_path / "k.npz"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="corrupt or truncated"):
        cached_arrays("k", lambda: {"x": np.arange(1000)})


def test_a_study_on_a_corrupt_dataset_stops_in_one_line(tmp_path, monkeypatch):
    from trainables.data.digits import embedded_digits
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    embedded_digits()
    (tmp_path / "cache" / "mnist5k.npz").write_bytes(b"not an npz")
    done = run_script("regularization", "--profile", "smoke", "--storage-path", str(tmp_path / "r"))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "corrupt or truncated" in lines[0] and "Traceback" not in done.stderr
    assert not list((tmp_path / "r").rglob("tuner.pkl"))
