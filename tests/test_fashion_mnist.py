"""Fashion-MNIST, the local stand-in for CIFAR-10 (Table 1, Figure 1): the loader on miniature idx
files in the real format (written here, gzipped as the Debian package ships them), and the one-line
error naming the package when the files are absent."""
import gzip
import struct

import numpy as np
import pytest

from search_spaces import lr_sweep, regularization
from trainables.data.cache import DataError
from trainables.data.cifar10 import load_images
from trainables.data.fashion_mnist import PACKAGE, TRAIN_FILES, read_idx


def write_idx(path, array: np.ndarray) -> None:
    """The idx format: magic 0x00000800 + ndim, big-endian uint32 sizes, then the bytes."""
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def mini_fashion(tmp_path):
    """120 training images, 12 per class; each image's first pixel holds its label, so the test
    can tell that images and labels stay paired. A test file holding only 255s is written too:
    the loader must never read it."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 12)
    rng.shuffle(y)
    x = rng.integers(0, 200, (120, 28, 28)).astype(np.uint8)
    x[:, 0, 0] = y
    write_idx(tmp_path / TRAIN_FILES[0], x)
    write_idx(tmp_path / TRAIN_FILES[1], y)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.full((20, 28, 28), 255))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(20))
    return tmp_path, x, y


def test_reads_the_idx_files_class_balanced_from_the_train_file_only(mini_fashion):
    root, x, y = mini_fashion
    assert read_idx(root / TRAIN_FILES[0]).shape == (120, 28, 28)
    data = load_images({"dataset": "fashion_mnist", "data_root": str(root), "max_train": 50, "max_val": 10})
    a = data.arrays
    assert a["x_train"].shape == (50, 1, 28, 28) and a["x_train"].dtype == np.uint8
    assert a["x_val"].shape == (10, 1, 28, 28) and a["y_val"].dtype == np.int64
    assert sorted(a["y_val"]) == list(range(10))            # one of each class in 10
    assert np.bincount(a["y_train"], minlength=10).tolist() == [5] * 10
    for split in ("train", "val"):                          # pairs kept, no test image read
        assert (a[f"x_{split}"][:, 0, 0, 0] == a[f"y_{split}"]).all()
        assert not (a[f"x_{split}"] == 255).all(axis=(1, 2, 3)).any()
    # validation is held out of training: no image in both
    train_rows = {r.tobytes() for r in a["x_train"]}
    assert not any(r.tobytes() in train_rows for r in a["x_val"])
    assert data.info["stand_in_for"] == "CIFAR-10" and "Fashion-MNIST" in data.name


def test_a_test_split_is_the_official_test_file_and_never_a_choice_split(mini_fashion, tmp_path):
    """Table 1's verdicts rest on a test split read for no choice: Fashion-MNIST's t10k file; the
    digits' held-out fifth halved; CIFAR-10's test batch, validation then from the training batches."""
    root, x, y = mini_fashion
    a = load_images({"dataset": "fashion_mnist", "data_root": str(root), "max_train": 50, "max_val": 10,
                     "test_split": True}).arrays
    assert a["x_test"].shape == (20, 1, 28, 28) and (a["x_test"] == 255).all()   # the t10k file, whole
    assert not (a["x_val"] == 255).all(axis=(1, 2, 3)).any() and len(a["y_val"]) == 10
    d = load_images({"dataset": "digits", "max_train": 100, "max_val": 50, "test_split": True, "max_test": 40}).arrays
    rows = {s: {r.tobytes() for r in d[f"x_{s}"]} for s in ("train", "val", "test")}
    assert (len(rows["val"]), len(rows["test"])) == (50, 40)
    assert not rows["test"] & (rows["val"] | rows["train"]) and not rows["val"] & rows["train"]
    from tests import miniature
    folder = miniature.write_cifar10(tmp_path / "cifar", per_batch=40, test=30)
    c = load_images({"dataset": "cifar10", "data_root": str(folder.parent), "download": False, "test_split": True})
    test_batch = {r.tobytes() for r in c.arrays["x_test"]}
    assert len(c.arrays["y_test"]) == 30 and len(c.arrays["y_val"]) == 20       # a tenth of the 200 training images
    assert not test_batch & {r.tobytes() for r in c.arrays["x_val"]} and "test" in c.name


def test_absent_files_fail_in_one_line_naming_the_package(tmp_path):
    with pytest.raises(DataError) as err:
        load_images({"dataset": "fashion_mnist", "data_root": str(tmp_path)})
    text = str(err.value)
    assert PACKAGE in text and str(tmp_path) in text and "\n" not in text


def test_a_truncated_idx_file_is_refused(mini_fashion):
    root, _, _ = mini_fashion
    raw = gzip.open(root / TRAIN_FILES[0]).read()
    with gzip.open(root / TRAIN_FILES[0], "wb") as f:
        f.write(raw[:-100])
    with pytest.raises(DataError, match="truncated"):
        read_idx(root / TRAIN_FILES[0])


def test_a_study_without_the_package_stops_in_one_line_before_ray(tmp_path, capsys):
    from studies.regularization import STUDY
    from studies.runner import main
    with pytest.raises(SystemExit) as done:
        main(STUDY, ["--profile", "local", "--set", f"data_root={tmp_path}",
                     "--storage-path", str(tmp_path / "results")])
    assert done.value.code == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and PACKAGE in lines[0]
    assert not (tmp_path / "results" / "regularization").exists()


@pytest.mark.parametrize("space", [regularization.space, lr_sweep.space])
def test_the_local_profile_runs_on_the_stand_in(space):
    local = space("local").fixed
    assert local["dataset"] == "fashion_mnist" and (local["max_train"], local["max_val"]) == (4000, 1000)
    assert space("full").fixed["dataset"] == "cifar10"
