"""No pickle is loaded unless it is ours and asked for: planted files whose unpickling would run
code (touching a marker file) are refused with one line, and the marker never appears."""
from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import miniature
import numpy as np
import pytest
import torch

from studies.report import run_studies
from trainables.data import tiny_imagenet
from trainables.data.cache import DataError, cached_arrays, file_sha256
from trainables.data.cifar10 import read_cifar_batches


class Payload:
    """Unpickled, it would create `marker`."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def marker(tmp_path) -> Path:
    path = tmp_path / "PAYLOAD_RAN"
    yield path
    assert not path.exists(), "a planted pickle ran its payload"


def test_a_planted_cifar_batch_is_refused_unrun(tmp_path, marker):
    folder = miniature.write_cifar10(tmp_path)
    assert len(read_cifar_batches(folder)["y_train"]) == 100  # the real format still reads
    (folder / "data_batch_3").write_bytes(pickle.dumps({b"data": Payload(marker), b"labels": [0]}, protocol=2))
    with pytest.raises(DataError, match="data_batch_3 is not a CIFAR-10 python batch.*os|posix"):
        read_cifar_batches(folder)


@pytest.fixture
def torch_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TUNESTUDIES_WEIGHTS_PINS", str(tmp_path / "pins.json"))
    return tmp_path / "torch"


def _pin(path: Path) -> None:
    Path(os.environ["TUNESTUDIES_WEIGHTS_PINS"]).write_text(json.dumps({path.name: file_sha256(path)}))


def test_cached_weights_are_rehashed_and_loaded_as_plain_tensors_only(torch_home, marker):
    from trainables.transfer import fetch_torchvision_state
    path = miniature.write_torchvision_weights(torch_home, "resnet50")
    with pytest.raises(DataError, match="sha256 does not start with"):  # torchvision's name prefix
        fetch_torchvision_state("resnet50")
    _pin(path)
    assert "fc.weight" in fetch_torchvision_state("resnet50")  # a plain state dict, pinned: read
    torch.save({"fc.weight": Payload(marker)}, path)  # planted, and pinned as if it were right:
    _pin(path)                                        # weights_only is what refuses it
    with pytest.raises(DataError, match="not a plain state dict, refused"):
        fetch_torchvision_state("resnet50")


def test_a_cached_dataset_without_its_recorded_hash_is_rebuilt_and_a_changed_one_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path))
    builds = []

    def build():
        builds.append(1)
        return {"x": np.arange(4)}
    cached_arrays("toy", build)
    (tmp_path / "toy.npz.sha256").unlink()  # its hash gone: not trusted, rebuilt
    assert cached_arrays("toy", build)["x"].tolist() == [0, 1, 2, 3] and len(builds) == 2
    np.savez(tmp_path / "toy.npz", x=np.arange(5))  # changed behind the cache's back
    with pytest.raises(DataError, match="sha256 does not match"):
        cached_arrays("toy", build)


def test_tiny_imagenet_comes_over_https_and_its_archive_is_rechecked(tmp_path):
    assert tiny_imagenet.URL.startswith("https://")
    archive = tmp_path / "tiny-imagenet-200.zip"
    archive.write_bytes(b"archive as downloaded")
    (tmp_path / tiny_imagenet.ARCHIVE_SHA).write_text(file_sha256(archive))
    assert tiny_imagenet.archive_hash(tmp_path) == {"archive_sha256": file_sha256(archive)}
    archive.write_bytes(b"archive replaced")
    with pytest.raises(DataError, match="does not match the sha256 recorded"):
        tiny_imagenet.archive_hash(tmp_path)


def test_the_report_does_not_resume_an_interrupted_study_unasked(tmp_path, marker):
    folder = tmp_path / "lr_sweep"
    folder.mkdir()
    (folder / "tuner.pkl").write_bytes(pickle.dumps(Payload(marker)))  # what a resume would unpickle
    said = []
    outcome = run_studies(tmp_path, "smoke", ["lr_sweep"], log=said.append)
    assert outcome["lr_sweep"].text.startswith("interrupted, not resumed") and outcome["lr_sweep"].seconds is None
    assert "RESUME=1" in said[0] and (folder / "tuner.pkl").exists()  # nothing run, nothing removed
