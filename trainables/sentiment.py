"""The report's Section 3.2 sentiment classifiers (Table 3) and their training loop.

- `embedding`: a word embedding of dimension 1, averaged over the words (global average pooling),
  then a logistic output: it cannot see word order.
- `lstm`: a trainable embedding (300-d in the report) read by an LSTM; the last state -> logit.
- `lstm_glove`: the same LSTM, its embedding initialised from GloVe (and trained further); the
  embedding dimension is GloVe's (300 in the report, 50 with the embedded GloVe 6B 50-d).

`train_sentiment(config, session, data)` runs without Ray.
"""
from __future__ import annotations

import contextlib
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainables.data.reviews import PAD, load_sentiment
from trainables.device import synchronize
from trainables.loop import Run, trainable
from trainables.session import is_finite

DEFAULTS = {
    "model": "lstm", "embed_dim": 300, "hidden": 64, "lr": 1e-3, "batch_size": 64, "epochs": 5,
    "freeze_embedding": False, "dataset": "rotten_tomatoes", "vocab_size": 10000,
    "max_len": 50, "max_texts": 0, "lr_scale": 1.0, "val_fraction": 0.1,
    # full: where the aclImdb folder and glove.6B.<dim>d.txt are ("": downloaded to the cache)
    "data_root": "", "imdb_root": "", "glove_file": "", "glove_dim": 300, "download": True,
}


class AveragedEmbedding(nn.Module):
    """Embedding(vocab, 1) -> mean over the words (padding excluded) -> Linear(1, 1)."""

    def __init__(self, vocab: int, dim: int = 1):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=PAD)
        self.out = nn.Linear(dim, 1)

    def forward(self, ids):
        mask = (ids != PAD).unsqueeze(-1).float()
        pooled = (self.embedding(ids) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.out(pooled).squeeze(-1)


class LSTMClassifier(nn.Module):
    """Embedding -> LSTM over the words (padding packed away) -> last hidden state -> logit."""

    def __init__(self, vocab: int, dim: int = 300, hidden: int = 64, vectors: np.ndarray | None = None,
                 found: np.ndarray | None = None, freeze: bool = False):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=PAD)
        if vectors is not None:
            init_from_vectors_(self.embedding, vectors, found)
            self.embedding.weight.requires_grad_(not freeze)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 1)

    def forward(self, ids):
        lengths = (ids != PAD).sum(1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(ids), lengths, batch_first=True,
                                                   enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.out(h[-1]).squeeze(-1)


def init_from_vectors_(embedding: nn.Embedding, vectors: np.ndarray, found: np.ndarray | None) -> None:
    """Copy the pre-trained rows of the words found; the others keep a random start of the same
    scale as the pre-trained rows; the padding row is zero."""
    vectors = torch.as_tensor(np.asarray(vectors), dtype=torch.float32)
    found = torch.as_tensor(np.asarray(found if found is not None else np.ones(len(vectors), bool)))
    with torch.no_grad():
        std = float(vectors[found].std()) if found.any() else 0.1
        embedding.weight.normal_(0.0, std)
        embedding.weight[found] = vectors[found]
        embedding.weight[PAD] = 0.0


def build(config: dict, arrays: dict) -> nn.Module:
    vocab = len(arrays["glove"])
    kind = config["model"]
    if kind == "embedding":
        return AveragedEmbedding(vocab, 1)
    if kind == "lstm":
        return LSTMClassifier(vocab, int(config["embed_dim"]), int(config["hidden"]))
    if kind == "lstm_glove":
        glove = arrays["glove"]
        return LSTMClassifier(vocab, glove.shape[1], int(config["hidden"]), glove, arrays["glove_found"],
                              bool(config["freeze_embedding"]))
    raise ValueError(f"model must be embedding, lstm or lstm_glove, not {kind!r}")


def run_epoch(model, opt, x, y, batch_size, generator=None, run=None):
    """One pass; trains if `opt` is given. Returns mean loss and accuracy. `run` (a
    trainables.loop.Run) brings mixed precision: the model under autocast, the loss in float32."""
    autocast = run.autocast if run is not None else contextlib.nullcontext
    model.train(opt is not None)
    order = torch.randperm(len(y), generator=generator) if opt is not None else torch.arange(len(y))
    order = order.to(y.device)
    losses, sizes, correct = [], [], 0
    with torch.set_grad_enabled(opt is not None):
        for i in range(0, len(y), batch_size):
            idx = order[i:i + batch_size]
            with autocast():
                logits = model(x[idx]).float()
            loss = F.binary_cross_entropy_with_logits(logits, y[idx])
            if opt is not None and run is not None:
                run.step(opt, loss)
            elif opt is not None:
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            losses.append(loss.detach())  # on the device: one host sync per pass
            sizes.append(len(idx))
            correct = correct + ((logits > 0).float() == y[idx]).sum()
    total = 0.0
    for v, n in zip(torch.stack(losses).tolist(), sizes):
        total += v * n
    return total / len(y), float(correct) / len(y)


def logits(model, ids, device: torch.device | str = "cpu") -> np.ndarray:
    """The logit of P(positive) of each row of token ids: unlike the probability, not saturated
    near 0 or 1, where two sentences' probabilities of 0.0003 and 0.011 rank nothing reliably."""
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(ids, device=device)).double().cpu().numpy()


def scores(model, ids, device: torch.device | str = "cpu") -> list[float]:
    """P(positive) of each row of token ids."""
    return (1 / (1 + np.exp(-logits(model, ids, device)))).tolist()


def pair_gaps(model, arrays: dict, device) -> dict:
    """Over every sentence pair of the report's form (trainables.data.reviews.sentence_pairs): the mean
    logit of 'A and not B' minus that of 'B and not A' (A praise, B blame), the share of pairs so
    ranked, and the report's own pair's logit gap ('good and not boring' minus 'boring and not good')."""
    one, two = logits(model, arrays["x_examples"], device)
    out = {"example_logit_gap": float(two - one)}
    if len(arrays.get("x_pairs_praise_first", ())):
        d = logits(model, arrays["x_pairs_praise_first"], device) - logits(model, arrays["x_pairs_blame_first"], device)
        out.update({"pair_logit_gap": float(d.mean()), "pairs_ranked": float((d > 0).mean()), "pairs": float(len(d))})
    return out


@trainable(DEFAULTS, load_sentiment)
def train_sentiment(run: Run) -> None:
    config, a, device = run.config, run.data.arrays, run.device
    model = build(config, a).to(device)
    # lr_scale: an arm's own multiplier of the tuned rate (the 1-d embedding model learns slowly)
    lr = config["lr"] * float(config["lr_scale"])
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    run.track(model=model, optimizer=opt)

    def tensors(split):  # copies on the device: arrays from Ray's object store are read-only
        return (torch.tensor(a[f"x_{split}"], device=device),
                torch.tensor(a[f"y_{split}"], dtype=torch.float32, device=device))
    (xt, yt), (xv, yv) = tensors("train"), tensors("val")
    bs = int(config["batch_size"])
    for _ in run.epochs():
        start = time.perf_counter()
        tr_loss, tr_acc = run_epoch(model, opt, xt, yt, bs, run.generator, run)
        synchronize(device)
        seconds = time.perf_counter() - start
        va_loss, va_acc = run_epoch(model, None, xv, yv, 512, run=run)
        metrics = {"train_loss": tr_loss, "train_acc": tr_acc, "val_loss": va_loss,
                   "val_acc": va_acc, "epoch_s": seconds}
        if run.last and is_finite(tr_loss, va_loss):  # measured once, on the final model
            _, metrics["test_acc"] = run_epoch(model, None, *tensors("test"), 512, run=run)
            # the training set's accuracy of the final model, without dropout or updates
            _, metrics["train_acc_final_model"] = run_epoch(model, None, xt, yt, 512, run=run)
            s1, s2 = scores(model, a["x_examples"], device)
            metrics.update({"example1": s1, "example2": s2, "example_gap": abs(s1 - s2), **pair_gaps(model, a, device)})
            if config["model"] == "lstm_glove":
                metrics["glove_vocab_coverage"] = float(a["glove_found"][2:].mean())
        run.report(metrics, finite=(tr_loss, va_loss))


# The direction of every metric this trainable reports (the study contract, studies/contract.py)
train_sentiment.metrics = {
    "train_loss": "min", "train_acc": "max", "val_loss": "min", "val_acc": "max", "epoch_s": "cost",
    "test_acc": "max", "train_acc_final_model": "max", "glove_vocab_coverage": "max",
    # the report's two example sentences: their scores and how far apart they are
    "example1": "max", "example2": "max", "example_gap": "max",
    # the same in logits, and over every sentence pair of that form (positive: the report's order)
    "example_logit_gap": "max", "pair_logit_gap": "max", "pairs_ranked": "max", "pairs": "max"}
