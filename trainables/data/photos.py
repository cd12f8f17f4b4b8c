"""32x32 colour crops of the photographs bundled with scikit-image, a stand-in for CIFAR-10 in
the colourisation study (report Section 5.2) when no CIFAR-10 can be had.

Only these photographs ship inside scikit-image (the others in `skimage.data` are fetched on
first use and fail offline): astronaut, chelsea, coffee, rocket, hubble_deep_field,
immunohistochemistry, retina and stereo_motorcycle (its left image). Each is scaled so that its
shorter side is `short_side` pixels, then cut into 32x32 crops on a grid. Training and test crops
come from different photographs, so a test crop is never a shifted copy of a training one.
"""
from __future__ import annotations

import numpy as np

from trainables.data.cache import DataError, cached_arrays
from trainables.data.dataset import Data

TRAIN_PHOTOS = ("astronaut", "rocket", "hubble_deep_field", "immunohistochemistry", "retina", "stereo_motorcycle")
TEST_PHOTOS = ("chelsea", "coffee")
PHOTOS = "32x32 crops of the photographs bundled with scikit-image"  # the offline stand-in, as hints name it


def photo(name: str) -> np.ndarray:
    """One bundled photograph as (H, W, 3) uint8."""
    from skimage import data
    image = getattr(data, name)()
    if isinstance(image, tuple):  # stereo_motorcycle: (left, right, disparity)
        image = image[0]
    return np.asarray(image)[..., :3]


def crops(image: np.ndarray, short_side: int, size: int = 32, stride: int = 16) -> np.ndarray:
    """`image` scaled to `short_side` on its shorter side, cut into (N, 3, size, size) uint8 crops."""
    from skimage.transform import resize
    h, w = image.shape[:2]
    scale = short_side / min(h, w)
    small = resize(image, (round(h * scale), round(w * scale)), anti_aliasing=True, preserve_range=True)
    small = np.clip(np.round(small), 0, 255).astype(np.uint8)
    out = [small[y:y + size, x:x + size]
           for y in range(0, small.shape[0] - size + 1, stride)
           for x in range(0, small.shape[1] - size + 1, stride)]
    return np.stack(out).transpose(0, 3, 1, 2).copy()


def load_photo_crops(short_side: int = 128, train_stride: int = 8, test_stride: int = 16,
                     max_train: int | None = None, max_val: int | None = None, seed: int = 0) -> Data:
    def build():
        return {"x_train": np.concatenate([crops(photo(n), short_side, 32, train_stride) for n in TRAIN_PHOTOS]),
                "x_val": np.concatenate([crops(photo(n), short_side, 32, test_stride) for n in TEST_PHOTOS])}
    a = cached_arrays(f"skimage_crops_{short_side}_{train_stride}_{test_stride}", build)
    rng = np.random.default_rng(seed)
    x_tr = a["x_train"][rng.permutation(len(a["x_train"]))[:max_train or None]]
    x_va = a["x_val"][rng.permutation(len(a["x_val"]))[:max_val or None]]
    return Data({"x_train": x_tr, "x_val": x_va},
                name=f"32x32 crops of scikit-image's photos (train: {', '.join(TRAIN_PHOTOS)}; "
                     f"test: {', '.join(TEST_PHOTOS)}; shorter side scaled to {short_side} px)",
                source="scikit-image bundled sample photographs (skimage.data)", stand_in_for="CIFAR-10")


def load_colorization_data(config: dict) -> Data:
    """The colourisation study's images: `dataset` = photos (scikit-image crops, offline) |
    cifar10 (torchvision, canonical)."""
    kind = config.get("dataset", "photos")
    n_tr, n_va = config.get("max_train") or None, config.get("max_val") or None
    if kind == "photos":
        return load_photo_crops(max_train=n_tr, max_val=n_va)
    if kind == "cifar10":
        from trainables.data.cifar10 import load_cifar10
        return load_cifar10(config.get("data_root") or None, bool(config.get("download", True)),
                            max_train=n_tr, max_val=n_va, alternative=PHOTOS)
    raise DataError(f"unknown colourisation dataset {kind!r}: choose photos or cifar10")
