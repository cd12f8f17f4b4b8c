"""32x32 colour crops of the photographs bundled with scikit-image, a stand-in for CIFAR-10 in
the colourisation study (report Section 5.2) when no CIFAR-10 can be had.

Only these photographs ship inside scikit-image (the others in `skimage.data` are fetched on
first use and fail offline): astronaut, chelsea, coffee, rocket, hubble_deep_field,
immunohistochemistry, retina and stereo_motorcycle (its left image). Each is scaled so that its
shorter side is `short_side` pixels and cut into three bands of columns: the left 32 px for
validation, the right 32 px for test, the middle for training; each band is cut into 32x32 crops
on a grid. So train, validation and test hold photos of the same kind (every photograph is in
all three: a model is never tested on a cat after training on microscopy), and no crop overlaps
a crop of another split.
"""
from __future__ import annotations

import numpy as np

from trainables.data.cache import DataError, cached_arrays
from trainables.data.dataset import Data

PHOTO_NAMES = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry",
               "retina", "stereo_motorcycle")
PHOTOS = "32x32 crops of the photographs bundled with scikit-image"  # the offline stand-in, as hints name it
BAND = 32  # columns of each photograph kept for validation (left) and for test (right)


def photo(name: str) -> np.ndarray:
    """One bundled photograph as (H, W, 3) uint8."""
    from skimage import data
    image = getattr(data, name)()
    if isinstance(image, tuple):  # stereo_motorcycle: (left, right, disparity)
        image = image[0]
    return np.asarray(image)[..., :3]


def scaled(image: np.ndarray, short_side: int) -> np.ndarray:
    """`image` scaled to `short_side` pixels on its shorter side, uint8."""
    from skimage.transform import resize
    h, w = image.shape[:2]
    scale = short_side / min(h, w)
    small = resize(image, (round(h * scale), round(w * scale)), anti_aliasing=True, preserve_range=True)
    return np.clip(np.round(small), 0, 255).astype(np.uint8)


def grid_crops(image: np.ndarray, size: int = 32, stride: int = 16) -> np.ndarray:
    """(H, W, 3) image cut into (N, 3, size, size) uint8 crops on a grid of `stride`."""
    out = [image[y:y + size, x:x + size]
           for y in range(0, image.shape[0] - size + 1, stride)
           for x in range(0, image.shape[1] - size + 1, stride)]
    return np.stack(out).transpose(0, 3, 1, 2).copy()


def crops(image: np.ndarray, short_side: int, size: int = 32, stride: int = 16) -> np.ndarray:
    """`image` scaled to `short_side` on its shorter side, cut into (N, 3, size, size) uint8 crops."""
    return grid_crops(scaled(image, short_side), size, stride)


def split_bands(image: np.ndarray) -> dict:
    """The three disjoint column bands of one (scaled) photograph: validation, train, test."""
    return {"x_val": image[:, :BAND], "x_train": image[:, BAND:-BAND], "x_test": image[:, -BAND:]}


def load_photo_crops(short_side: int = 128, stride: int = 8, max_train: int | None = None,
                     max_val: int | None = None, seed: int = 0) -> Data:
    def build():
        parts = {"x_train": [], "x_val": [], "x_test": []}
        for name in PHOTO_NAMES:
            for split, band in split_bands(scaled(photo(name), short_side)).items():
                parts[split].append(grid_crops(band, 32, stride))
        return {k: np.concatenate(v) for k, v in parts.items()}
    a = cached_arrays(f"skimage_bands_{short_side}_{stride}_{BAND}", build)
    rng = np.random.default_rng(seed)
    limits = {"x_train": max_train, "x_val": max_val, "x_test": max_val}
    arrays = {k: a[k][rng.permutation(len(a[k]))[:limits[k] or None]] for k in limits}
    return Data(arrays,
                name=f"32x32 crops of scikit-image's photos ({', '.join(PHOTO_NAMES)}; shorter side scaled "
                     f"to {short_side} px; each photo's left {BAND} px columns: validation, right {BAND} px: "
                     f"test, the middle: training)",
                source="scikit-image bundled sample photographs (skimage.data)", stand_in_for="CIFAR-10")


def hold_out(data: Data, fraction: float = 0.1) -> Data:
    """A validation split carved from the end of `x_train` (after the loader's shuffle); the
    loader's held-out split (`x_val`, e.g. CIFAR-10's test batch) becomes `x_test`, read once."""
    a = dict(data.arrays)
    n_val = max(1, int(round(len(a["x_train"]) * fraction)))
    a["x_test"] = a["x_val"]
    a["x_train"], a["x_val"] = a["x_train"][:-n_val], a["x_train"][-n_val:]
    for key in ("y_train", "y_val"):
        a.pop(key, None)
    data.arrays = a
    return data


def load_colorization_data(config: dict) -> Data:
    """The colourisation study's images: `dataset` = photos (scikit-image crops, offline) |
    cifar10 (torchvision, canonical)."""
    kind = config.get("dataset", "photos")
    n_tr, n_va = config.get("max_train") or None, config.get("max_val") or None
    if kind == "photos":
        return load_photo_crops(max_train=n_tr, max_val=n_va)
    if kind == "cifar10":
        from trainables.data.cifar10 import load_cifar10
        return hold_out(load_cifar10(config.get("data_root") or None, bool(config.get("download", True)),
                                     max_train=n_tr, max_val=n_va, alternative=PHOTOS))
    raise DataError(f"unknown colourisation dataset {kind!r}: choose photos or cifar10")
