"""Downloads that are what they claim: streamed to a temporary file, hashed, and kept only if the
hash matches the one known for the URL; a user-given URL must be https and its sha256 is recorded.

Known hashes, and where they come from (each file as served at its canonical URL):
- tiny-shakespeare input.txt and aclImdb_v1.tar.gz: sha256, from TensorFlow Datasets'
  url_checksums (tiny_shakespeare.txt, imdb_reviews.txt);
- glove.6B.zip: sha1 only (no sha256 is published), from MXNet's GloVe embedding registry
  (`pretrain_archive_sha1`); its sha256 is computed and recorded as well.
torchvision checks its own downloads (CIFAR-10 and MNIST: md5 of each file; Tiny-ImageNet:
the archive's md5 given to `download_and_extract_archive`; VGG16/ResNet50 weights: the sha256
prefix in the file name, `check_hash=True`).
"""
from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from trainables.data.cache import DataError

KNOWN = {
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt":
        ("sha256", "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),
    "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz":
        ("sha256", "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"),
    "https://nlp.stanford.edu/data/glove.6B.zip":
        ("sha1", "b64e54f1877d2f735bdd000c1d7d771e25c7dfdc"),
}


def require_https(url: str, what: str = "a download") -> None:
    """Plain http (or ftp, file, ...) can be altered on the way: refused."""
    if not url.lower().startswith("https://"):
        raise DataError(f"{url}: {what} must be an https URL (plain http can be altered on the way); "
                        f"download it yourself and pass the file's path instead")


def hashes(path: Path) -> dict[str, str]:
    """sha256 and sha1 of a file, in one pass."""
    h = {"sha256": hashlib.sha256(), "sha1": hashlib.sha1()}
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            for x in h.values():
                x.update(block)
    return {k: x.hexdigest() for k, x in h.items()}


def check(path: Path, url: str) -> str:
    """The file's sha256, after checking it against the hash known for `url` (if one is)."""
    got = hashes(path)
    if url in KNOWN:
        algo, want = KNOWN[url]
        if got[algo] != want:
            raise DataError(f"{path} (from {url}) is not the published file: {algo} {got[algo][:16]}... "
                            f"instead of {want[:16]}...; it was not used")
    return got["sha256"]


def fetch(url: str, target: Path, timeout: float = 60.0) -> str:
    """`url` -> `target`, kept only if it is https and matches its known hash; returns its sha256.
    Network errors propagate (callers turn them into their offline hint)."""
    require_https(url)
    tmp = target.with_name(target.name + ".part")
    with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
    try:
        sha256 = check(tmp, url)
    except DataError:
        tmp.unlink()
        raise
    tmp.replace(target)
    return sha256
