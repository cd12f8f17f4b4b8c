"""Every study's `--profile full`, end to end through real Ray Tune, on miniature copies of the
report's datasets written in their canonical on-disk formats (tests/miniature.py) under one
`--set data_root=DIR`: the full loaders, models and analysis run as on a cluster, only smaller.

What each study's shrink changes is its Study's `test_shrink` (all: `--seeds 1`, the nuisance setting fixed to
one value, so each arm is one trial; epochs 2; two trials at a time). Checks: every trial completed
with one history row per epoch, the table's data line names the dataset read (and its folder),
the manifest's data hash is that of the data loaded again, findings.md has one row per finding,
the figures are PNGs, every trial has TensorBoard events.

Transfer keeps its VGG16 and ResNet50 backbones: their torchvision weight files are written with
random weights (tests/miniature.py says how they stay small), in the test session's private torch
hub cache (tests/conftest.py `ray_local`)."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import miniature
import pandas as pd
import pytest

from analysis.report import spec_for
from analysis.summary import Summary
from analysis.verdicts import judged
from studies.registry import STUDIES, load
from trainables.data.cache import file_sha256

# per study reading tests/miniature.py's files: a pattern the table's data line must match (the
# dataset read, with what was read of it); the --set list that shrinks each study's full profile is
# its Study's `test_shrink`
DATA_LINE = {
    "regularization": "CIFAR-10 \\(60 train / 10 validation from the training batches / 40 test\\)",
    "lr_sweep": "CIFAR-10 \\(60 train / 30 test images",
    "transfer": "Tiny-ImageNet \\(4 classes; 24 train, 4 validation held out of train, 8 test",
    "window_size": "Airline passengers, monthly 1949-1960",
    "sentiment": "IMDB movie reviews \\(aclImdb: 80 train, 10% of them held out for validation / 80 test\\) with glove\\.6B\\.300d\\.txt",
    "textgen_temperature": "input\\.txt \\(not the published tiny-shakespeare: its sha256 differs\\)",
    "autoencoder_structure": "MNIST, padded to 32x32 \\(100 train / 40 test images",
    "denoising_loss": "MNIST, padded to 32x32 \\(100 train / 40 test images",
    "vae_gan": "MNIST, 28x28 \\(100 train / 40 test images",
    "colorization": "CIFAR-10 \\(60 train / 20 test images",
    "exploration": "FrozenLake-v1 \\(tabular Q-learning\\) \\+ CartPole-v1 \\(DQN\\)",
}

# the report names no series, corpus or environment for these: what runs is named a stand-in
STAND_IN_EXPECTED = {"textgen_temperature", "exploration"}
# fitted once, so one report, at the last epoch of the budget (trainables/autoencoders.py train_pca)
ONE_REPORT = {("autoencoder_structure", "pca")}


def reads_data_root(study) -> bool:
    return "data_root" in study.train.defaults


def test_every_study_that_reads_a_data_root_has_its_miniature_named():
    assert {n for n in STUDIES if reads_data_root(load(n))} <= set(DATA_LINE)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    """One folder holding every canonical dataset, as a cluster user would stage them."""
    root = tmp_path_factory.mktemp("data_root")
    miniature.write_cifar10(root)
    miniature.write_mnist(root, train=200, test=60)
    miniature.write_tiny_imagenet(root, classes=4, per_class=10, val_per_class=2)
    miniature.write_imdb(root, per_label=40)
    miniature.write_glove(root / "glove.6B.300d.txt", dim=300)
    miniature.write_tiny_shakespeare(root)
    return root


@pytest.fixture(scope="module")
def imagenet_weights(ray_local, tmp_path_factory) -> list[Path]:
    """VGG16's and ResNet50's weight files in the session's private torch hub cache, which Ray's
    workers see too (never the user's: the file would pass for the real one)."""
    torch_home = Path(os.environ["TORCH_HOME"])
    assert torch_home.is_relative_to(tmp_path_factory.getbasetemp()), torch_home
    files = [miniature.write_torchvision_weights(torch_home, name) for name in ("vgg16", "resnet50")]
    # pinned by their full sha256, as a site pins staged weights: their names' prefixes do not match
    Path(os.environ["TUNESTUDIES_WEIGHTS_PINS"]).write_text(json.dumps({f.name: file_sha256(f) for f in files}))
    return files


def findings_rows(text: str) -> list[str]:
    """The claims of findings.md's table, in order."""
    return [line.split(" | ")[0].lstrip("| ") for line in text.splitlines()
            if line.startswith("| ") and "**" in line]  # findings, then checks (each with a verdict)


@pytest.mark.ray
@pytest.mark.parametrize("name", STUDIES)
def test_full_profile_end_to_end_on_canonical_miniatures(name, ray_local, data_root, tmp_path, monkeypatch,
                                                          request, capsys):
    from studies.runner import run
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))  # never the user's data cache
    if name == "transfer":
        request.getfixturevalue("imagenet_weights")
    study = load(name)
    sets, data_pattern = list(study.test_shrink), DATA_LINE.get(name)
    if reads_data_root(study):
        sets = [*sets, f"data_root={data_root}"]
    started = time.perf_counter()
    out = run(study, ["--profile", "full", "--seeds", "1", "--max-concurrent", "2", "-q",
                      "--storage-path", str(tmp_path / "results"), *[a for s in sets for a in ("--set", s)]])
    wall = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[full path] {name}: {wall:.0f} s wall (--set {' '.join(study.test_shrink)})")

    manifest = json.loads((out / "manifest.json").read_text())
    epochs = manifest["max_epochs"]
    assert manifest["profile"] == "full" and epochs == 2 and manifest["seeds"] == [0]

    # every arm ran its one trial to the end, one history row per epoch
    trials = pd.read_parquet(out / "trials.parquet")
    history = pd.read_parquet(out / "history.parquet")
    errors = trials.get("error", pd.Series(dtype=str)).dropna().tolist()
    assert set(trials["status"]) == {"completed"}, (trials[["arm", "status"]], errors)
    assert sorted(trials["arm"]) == sorted(manifest["arms"])
    assert (trials["epochs"] == epochs).all()
    for trial, arm in zip(trials["trial_id"], trials["arm"]):
        want = [epochs] if (name, arm) in ONE_REPORT else list(range(1, epochs + 1))
        assert history.loc[history["trial_id"] == trial, "epoch"].tolist() == want, arm

    # the data read is what the manifest hashes, and the table names it (not a stand-in)
    data = manifest["data"]
    assert data_pattern is None or re.search(data_pattern, data["name"]), data["name"]
    if reads_data_root(study):
        assert manifest["fixed"]["data_root"] == str(data_root) and str(data_root) in data["source"]
    reloaded = study.load_data(manifest["fixed"]).info
    assert re.fullmatch(r"[0-9a-f]{16}", data["sha256_16"]) and reloaded["sha256_16"] == data["sha256_16"]
    table = (out / "table.md").read_text()
    data_line, = [line for line in table.splitlines() if line.startswith("Data: ")]
    assert data_line.startswith(f"Data: {data['name']} (source: {data['source']}, sha256 {data['sha256_16']})")
    assert bool(data["stand_in_for"]) == (name in STAND_IN_EXPECTED), data["stand_in_for"]
    assert ("STAND-IN" in data_line) == (name in STAND_IN_EXPECTED), data_line
    spec = spec_for(name)
    for arm in manifest["arms"]:
        assert f"| {spec.arm_labels.get(arm, arm)} |" in table, arm

    # findings.md: one row per finding of the report, as the analysis judges this run
    found = judged(spec, Summary.from_manifest(trials, history, manifest))
    claims = [f.claim for kind in ("finding", "check") for f in found if f.kind == kind]
    assert claims and findings_rows((out / "findings.md").read_text()) == claims

    # the report's figures for this study, each a real PNG
    pngs = sorted((out / "figures").glob("*.png"))
    assert len(pngs) >= max(1, len(spec.figures)), [p.name for p in pngs]
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5_000, png.name

    # TensorBoard events for every trial
    for folder in {p.parent for p in out.glob("*/params.json")}:
        assert list(folder.glob("events.out.tfevents.*")), folder.name

    for ckpt in out.glob("*/checkpoint_*"):  # VGG16/ResNet50 checkpoints: hundreds of MB in tmp
        shutil.rmtree(ckpt)


# ---------------------------------------------------------------- offline and absent (no Ray)

def _loaders():
    from trainables.data.cifar10 import load_images
    from trainables.data.corpus import load_corpus
    from trainables.data.digits import load_digits32
    from trainables.data.photos import load_colorization_data
    from trainables.data.reviews import load_sentiment
    from trainables.data.tiny_imagenet import load_transfer_data
    from trainables.generative import load_generative_data
    # study's loader and dataset -> what the one-line error must name as the offline alternative
    return {
        "regularization": (load_images, {"dataset": "cifar10"}, "embedded MNIST digits"),
        "colorization": (load_colorization_data, {"dataset": "cifar10"}, "photographs bundled with scikit-image"),
        "autoencoder_structure": (load_digits32, {"dataset": "mnist"}, "embedded MNIST digits"),
        "vae_gan": (load_generative_data, {"dataset": "mnist"}, "embedded MNIST digits"),
        "transfer": (load_transfer_data, {"dataset": "tiny_imagenet"}, "EfficientNet-Lite0"),
        "sentiment": (load_sentiment, {"dataset": "imdb"}, "embedded Rotten Tomatoes snippets"),
        "textgen_temperature": (load_corpus, {"corpus": "tiny-shakespeare"}, "Gutenberg Shakespeare plays"),
    }


@pytest.mark.parametrize("study", sorted(_loaders()))
def test_an_empty_data_root_is_one_line_naming_the_embedded_alternative(study, tmp_path, monkeypatch):
    from trainables.data.cache import DataError
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    load, config, alternative = _loaders()[study]
    with pytest.raises(DataError) as err:
        load({**config, "data_root": str(tmp_path / "empty"), "download": False})
    message = str(err.value)
    assert "\n" not in message and "--profile local" in message and alternative in message, message
    assert str(tmp_path / "empty") in message  # where it looked
    if study == "colorization":
        assert "MNIST" not in message  # its stand-in is photos, not digits


def test_glove_missing_beside_the_reviews_names_the_embedded_glove(tmp_path, monkeypatch):
    from trainables.data.cache import DataError
    from trainables.data.reviews import load_sentiment
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    miniature.write_imdb(tmp_path, per_label=4)
    with pytest.raises(DataError) as err:
        load_sentiment({"dataset": "imdb", "data_root": str(tmp_path), "download": False})
    message = str(err.value)
    assert "\n" not in message and "glove.6B.300d.txt" in message and "embedded GloVe 6B 50-d" in message


def test_data_root_may_name_the_cifar_batches_folder_itself(tmp_path):
    from trainables.data.cifar10 import load_images
    folder = miniature.write_cifar10(tmp_path, per_batch=4, test=10)
    for root in (tmp_path, folder):
        data = load_images({"dataset": "cifar10", "data_root": str(root), "download": False})
        assert data.name.startswith("CIFAR-10 (20 train / 10 test images") and not data.stand_in_for


def test_staged_tiny_shakespeare_is_named_so_only_when_it_is_the_published_file(tmp_path, monkeypatch):
    from trainables.data import download
    from trainables.data.corpus import TINY_SHAKESPEARE, load_corpus
    from trainables.data.download import hashes
    path = miniature.write_tiny_shakespeare(tmp_path)
    config = {"corpus": "tiny-shakespeare", "data_root": str(tmp_path)}
    assert load_corpus(config).name == f"{path} (not the published tiny-shakespeare: its sha256 differs)"
    # the same reader, with this file's sha256 as the published one
    monkeypatch.setitem(download.KNOWN, TINY_SHAKESPEARE, ("sha256", hashes(path)["sha256"]))
    data = load_corpus(config)
    assert data.name == "tiny-shakespeare" and data.source == str(path.resolve())


def test_staged_files_are_read_without_a_lock_file_beside_them(tmp_path, monkeypatch):
    """A pre-staged data_root may sit on a read-only mount: reading it must write nothing there."""
    from trainables.data.cifar10 import load_images
    from trainables.data.digits import load_digits32
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "staged"
    miniature.write_cifar10(root, per_batch=4, test=10)
    miniature.write_mnist(root, train=20, test=10)
    before = sorted(tmp_path.rglob("*"))
    assert len(load_images({"dataset": "cifar10", "data_root": str(root), "download": False}).arrays["y_train"]) == 20
    assert len(load_digits32({"dataset": "mnist", "data_root": str(root), "download": False}).arrays["y_val"]) == 10
    assert sorted(p for p in tmp_path.rglob("*") if "cache" not in p.parts) == before
