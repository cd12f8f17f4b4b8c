"""Miniature copies of the report's canonical datasets, written in their real on-disk formats (the
layouts torchvision and the official archives use), so that the `full` loaders read them exactly as
they would read the real files. Each image class or review label carries a visible signal, so a
model can learn something from a few hundred items.

Every writer takes the folder `--set data_root=` would name, and returns what it wrote.
"""
from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------- images


def class_images(n: int, classes: int, shape: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` uint8 images of `shape` (C, H, W) and labels 0..classes-1 in turn: noise plus a bright
    horizontal bar whose row is the class."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.integers(0, 60, (n, *shape)).astype(np.uint8)
    rows = np.linspace(2, shape[-2] - 3, classes).astype(int)
    for label in range(classes):
        x[y == label, ..., rows[label], :] = 255
    return x, y.astype(np.int64)


def write_cifar10(root: Path, per_batch: int = 20, test: int = 40) -> Path:
    """torchvision's CIFAR-10 root: `cifar-10-batches-py/` with the python batches
    (pickled dicts of b"data" N x 3072 uint8 and b"labels"), data_batch_1..5, test_batch, batches.meta."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for k, name in enumerate(names):
        x, y = class_images(test if name == "test_batch" else per_batch, 10, (3, 32, 32), seed=k)
        batch = {b"batch_label": name.encode(), b"labels": y.tolist(), b"data": x.reshape(len(x), 3072),
                 b"filenames": [f"{name}_{i}.png".encode() for i in range(len(x))]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {b"label_names": [w.encode() for w in ("airplane automobile bird cat deer dog frog horse "
                                                  "ship truck").split()], b"num_cases_per_batch": per_batch,
            b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def write_idx(path: Path, array: np.ndarray) -> None:
    """An idx file: magic (0, 0, dtype 0x08 = uint8, ndim), big-endian sizes, then the bytes."""
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    Path(path).write_bytes(header + np.ascontiguousarray(array, np.uint8).tobytes())


def write_mnist(root: Path, train: int = 200, test: int = 60) -> Path:
    """torchvision's MNIST root: the four uncompressed idx files under `MNIST/raw/`."""
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for k, (split, n) in enumerate((("train", train), ("t10k", test))):
        x, y = class_images(n, 10, (28, 28), seed=10 + k)
        write_idx(raw / f"{split}-images-idx3-ubyte", x)
        write_idx(raw / f"{split}-labels-idx1-ubyte", y)
    return raw


def write_tiny_imagenet(root: Path, classes: int = 4, per_class: int = 12, val_per_class: int = 4) -> Path:
    """The official `tiny-imagenet-200/` layout with 64x64 JPEGs: wnids.txt, words.txt,
    train/<wnid>/images/<wnid>_<k>.JPEG (+ <wnid>_boxes.txt), val/images + val_annotations.txt,
    test/images (unlabelled)."""
    from PIL import Image
    folder = Path(root) / "tiny-imagenet-200"
    wnids = [f"n0{1440764 + 7 * k}" for k in range(classes)]
    (folder / "val" / "images").mkdir(parents=True, exist_ok=True)
    (folder / "test" / "images").mkdir(parents=True, exist_ok=True)
    (folder / "wnids.txt").write_text("".join(f"{w}\n" for w in wnids))
    (folder / "words.txt").write_text("".join(f"{w}\tthing number {k}\n" for k, w in enumerate(wnids)))

    def save(image: np.ndarray, path: Path) -> None:
        Image.fromarray(image.transpose(1, 2, 0)).save(path, quality=95)

    x, y = class_images(classes * (per_class + val_per_class), classes, (3, 64, 64), seed=20)
    seen, notes = {w: 0 for w in wnids}, []
    for image, label in zip(x, y):
        w = wnids[label]
        if seen[w] < per_class:
            images = folder / "train" / w / "images"
            images.mkdir(parents=True, exist_ok=True)
            save(image, images / f"{w}_{seen[w]}.JPEG")
            with open(folder / "train" / w / f"{w}_boxes.txt", "a") as f:
                f.write(f"{w}_{seen[w]}.JPEG\t0\t0\t63\t63\n")
        else:
            name = f"val_{len(notes)}.JPEG"
            save(image, folder / "val" / "images" / name)
            notes.append(f"{name}\t{w}\t0\t0\t63\t63\n")
        seen[w] += 1
    (folder / "val" / "val_annotations.txt").write_text("".join(notes))
    save(x[0], folder / "test" / "images" / "test_0.JPEG")
    return folder


# ---------------------------------------------------------------- text

GOOD = "good great wonderful moving brilliant fun loved superb".split()
BAD = "bad boring dull awful mess worst hated poor".split()
NEUTRAL = "the movie film a and story acting cast plot was is this of it".split()


def write_imdb(root: Path, per_label: int = 40) -> Path:
    """The aclImdb layout: `aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt` (one review a file,
    HTML line breaks as in the real ones), plus the `train/unsup` folder and `imdb.vocab` that the
    loader ignores."""
    rng = np.random.default_rng(30)
    folder = Path(root) / "aclImdb"
    for split in ("train", "test"):
        for label, words, ratings in (("pos", GOOD, (7, 10)), ("neg", BAD, (1, 4))):
            out = folder / split / label
            out.mkdir(parents=True, exist_ok=True)
            for i in range(per_label):
                text = " ".join(rng.choice(NEUTRAL + words * 2, size=rng.integers(8, 30)))
                (out / f"{i}_{rng.integers(*ratings)}.txt").write_text(f"{text.capitalize()}.<br /><br />{text}!")
    (folder / "train" / "unsup").mkdir(exist_ok=True)
    (folder / "train" / "unsup" / "0_0.txt").write_text("an unlabelled review")
    (folder / "imdb.vocab").write_text("\n".join(NEUTRAL + GOOD + BAD) + "\n")
    return folder


def write_glove(path: Path, dim: int = 300) -> Path:
    """A GloVe text file in Stanford's format ("word v1 ... vd" a line) for the review words."""
    rng = np.random.default_rng(31)
    lines = [f"{w} {' '.join(f'{v:.5f}' for v in rng.normal(0, 0.4, dim))}\n" for w in NEUTRAL + GOOD + BAD]
    Path(path).write_text("".join(lines))
    return Path(path)


SPEAKERS = ("First Citizen", "Second Citizen", "MENENIUS", "CORIOLANUS", "All")
LINE_WORDS = ("we are accounted poor citizens the patricians good what authority surfeits on would "
              "relieve us if they yield but the superfluity while it were wholesome might guess they "
              "relieved humanely").split()


def write_tiny_shakespeare(root: Path, speeches: int = 300) -> Path:
    """tiny-shakespeare's `input.txt`: plain UTF-8, "SPEAKER:" lines, each speech followed by a blank line."""
    rng = np.random.default_rng(32)
    parts = []
    for i in range(speeches):
        words = " ".join(rng.choice(LINE_WORDS, size=rng.integers(5, 14)))
        parts.append(f"{SPEAKERS[i % len(SPEAKERS)]}:\n{words.capitalize()}.\n\n")
    path = Path(root) / "input.txt"
    Path(root).mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts), encoding="utf-8")
    return path


# ---------------------------------------------------------------- pretrained weights

def write_torchvision_weights(torch_home: Path, name: str) -> Path:
    """A random state dict of torchvision's `name` (vgg16 | resnet50) under the file name its
    IMAGENET1K_V1 weights have, in `<torch_home>/hub/checkpoints/`, where torchvision's weights API
    looks before it downloads (it checks the hash only of what it downloads). Small enough to write
    in a second: convolutions as random float16 (He scale; they are cast to float32 on loading), the
    dense layers that the transfer study discards as one random column broadcast across (stored as
    one value per row). Never point this at a real torch cache: the file would pass for the real one."""
    import torch
    from torchvision import models
    weights = {"vgg16": models.VGG16_Weights, "resnet50": models.ResNet50_Weights}[name].IMAGENET1K_V1
    with torch.device("meta"):  # shapes only, no 138M-parameter initialisation
        shapes = {k: v.shape for k, v in getattr(models, name)().state_dict().items()}
    gen, state = torch.Generator().manual_seed(40), {}
    for key, shape in shapes.items():
        if len(shape) == 4:
            fan_in = shape[1] * shape[2] * shape[3]
            state[key] = (torch.randn(shape, generator=gen) * (2.0 / fan_in) ** 0.5).half()
        elif len(shape) == 2:
            state[key] = (torch.randn(shape[0], 1, generator=gen) / shape[1] ** 0.5).expand(shape)
        elif key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(0)
        elif key.endswith(("running_var", "weight")):  # a 1-d weight is a batch norm's scale
            state[key] = torch.ones(shape)
        else:  # biases, BN shifts, running means
            state[key] = torch.zeros(shape)
    folder = Path(torch_home) / "hub" / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(weights.url).name
    torch.save(state, path)
    return path
