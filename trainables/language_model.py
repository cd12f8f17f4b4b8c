"""Word- and character-level LSTM language models, and how their samples are scored with BLEU
at several sampling temperatures (report Figures 4 and 5).

Temperature is a sampling setting, not a training one: each level is trained once; at the end of
training its samples are scored at every temperature in `config["temperatures"]`.

A fair comparison of the two levels: both continue the same held-out prompts (`prompt_words`
words of the test text), and both continuations are cut to `continuation_words` word tokens by
the same tokenizer (the character model's output is split into words), then scored with NLTK's
corpus BLEU (smoothing method 1) over word tokens against the true continuation. Validation
perplexity is reported per model token (`val_perplexity`) and per word of the validation text
(`val_word_perplexity`: the character model's loss summed over a word's characters).

`train_language_model(config, session, data)` runs without Ray.
"""
from __future__ import annotations

import contextlib
import json
import math
from collections import Counter

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainables.data.corpus import load_corpus, texts, token_spans, tokenize
from trainables.loop import Run, step, trainable
from trainables.measures import copy_rate, distinct_n  # pure Python: the measures the analysis documents
from trainables.session import is_finite

TEMPERATURES = [0.2, 0.5, 0.8, 1.0, 1.2, 1.5]
UNK = "<unk>"

DEFAULTS = {
    "level": "word", "lr": 3e-3, "batch_size": 64, "epochs": 5, "embed": 64, "hidden": 128,
    "layers": 1, "dropout": 0.0, "word_vocab": 2000, "word_seq_len": 32, "char_seq_len": 128,
    "clip": 1.0, "temperatures": TEMPERATURES, "prompts": 40, "samples_per_prompt": 4,
    "prompt_words": 10, "continuation_words": 20, "bleu_order": 4,
    "corpus": "shakespeare", "plays": ["hamlet"], "data_root": "", "max_chars": 0, "val_fraction": 0.1, "test_fraction": 0.1,
}


def bleu_key(temperature: float, measure: str = "bleu") -> str:
    """The metric name of a sample measure at `temperature`: bleu_t020 for BLEU at 0.2,
    distinct2_t150 for distinct-2 at 1.5, copy4_t100 for the 4-gram copy rate at 1.0."""
    return f"{measure}_t{int(round(temperature * 100)):03d}"


# beside BLEU (overlap with the true continuation), per temperature: how varied the samples are
# (distinct-2: distinct word bigrams / all, over every sample) and how close to the training text
# (copy4: the share of their word 4-grams found in the training text)
SAMPLE_MEASURES = {"distinct2": "max", "copy4": "min"}


# ---------------------------------------------------------------- vocabularies

class Vocab:
    """Tokens <-> ids; id 0 is <unk> (out-of-vocabulary words or characters)."""

    def __init__(self, tokens: list[str]):
        self.itos = [UNK] + [t for t in tokens if t != UNK]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, tokens) -> np.ndarray:
        return np.fromiter((self.stoi.get(t, 0) for t in tokens), dtype=np.int64)

    def decode(self, ids) -> list[str]:
        return [self.itos[int(i)] for i in ids]


def word_vocab(train_text: str, size: int) -> Vocab:
    """The `size` - 1 most frequent train words (ties alphabetical), plus <unk>."""
    counts = Counter(tokenize(train_text))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return Vocab([w for w, _ in ranked[:max(1, size - 1)]])


def char_vocab(train_text: str) -> Vocab:
    return Vocab(sorted(set(train_text)))


def units(text: str, level: str) -> list[str]:
    """What a model of `level` reads: word tokens, or characters."""
    return tokenize(text) if level == "word" else list(text)


# ---------------------------------------------------------------- the model

class LanguageModel(nn.Module):
    """Embedding -> LSTM -> linear over the vocabulary."""

    def __init__(self, vocab: int, embed: int = 64, hidden: int = 128, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, ids: torch.Tensor, state=None):
        h, state = self.lstm(self.embed(ids), state)
        return self.out(self.drop(h)), state


def windows(ids: np.ndarray, seq_len: int, offset: int = 0) -> torch.Tensor:
    """Non-overlapping windows of seq_len + 1 ids (inputs and next-token targets)."""
    usable = (len(ids) - offset) // (seq_len + 1) * (seq_len + 1)
    return torch.as_tensor(ids[offset:offset + usable]).view(-1, seq_len + 1)


def train_epoch(model, opt, ids, seq_len, batch_size, clip, generator, device, run=None) -> float:
    """One pass over shuffled windows; `run` (trainables.loop.Run) brings mixed precision: the
    model under autocast, the loss in float32."""
    model.train()
    offset = int(torch.randint(0, seq_len + 1, (1,), generator=generator))
    w = windows(ids, seq_len, offset)
    w = w[torch.randperm(len(w), generator=generator)]
    losses, sizes = [], []
    for i in range(0, len(w), batch_size):
        batch = w[i:i + batch_size].to(device)
        with (run.autocast() if run is not None else contextlib.nullcontext()):
            logits, _ = model(batch[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), batch[:, 1:].reshape(-1))
        (run.step if run is not None else step)(opt, loss, (model.parameters(), clip) if clip else None)
        losses.append(loss.detach())  # on the device: one host sync per epoch
        sizes.append(batch[:, 1:].numel())
    total, count = 0.0, 0
    for v, n in zip(torch.stack(losses).tolist() if losses else [], sizes):
        total += v * n
        count += n
    return total / max(count, 1)


@torch.no_grad()
def evaluate(model, ids, seq_len, device, batch_size: int = 256, autocast=contextlib.nullcontext) -> float:
    """Mean next-token cross-entropy (nats) over the windows of `ids` (the model under `autocast`,
    the loss in float32)."""
    model.eval()
    w = windows(ids, seq_len)
    total, count = 0.0, 0
    for i in range(0, len(w), batch_size):
        batch = w[i:i + batch_size].to(device)
        with autocast():
            logits, _ = model(batch[:, :-1])
        total += F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), batch[:, 1:].reshape(-1),
                                 reduction="sum").item()
        count += batch[:, 1:].numel()
    return total / max(count, 1)


# ---------------------------------------------------------------- sampling and BLEU

def prompts(test_text: str, n: int, prompt_words: int, continuation_words: int) -> list[tuple[str, list[str]]]:
    """`n` evenly spaced (prompt text, reference words) pairs of the held-out text: the prompt is
    `prompt_words` word tokens as they stand in the text, the reference the next
    `continuation_words` tokens."""
    spans = token_spans(test_text)
    room = len(spans) - prompt_words - continuation_words
    if room < 0:
        raise ValueError(f"held-out text has {len(spans)} words, fewer than one prompt and its continuation")
    out = []
    for start in sorted(set(np.linspace(0, room, n).astype(int).tolist())):
        first, last = spans[start], spans[start + prompt_words - 1]
        reference = [t for t, _, _ in spans[start + prompt_words:start + prompt_words + continuation_words]]
        out.append((test_text[first[1]:last[2]], reference))
    return out


@torch.no_grad()
def sample(model, vocab: Vocab, level: str, prompt_texts: list[str], per_prompt: int, temperature: float,
           continuation_words: int, max_steps: int, generator: torch.Generator, device) -> list[list[str]]:
    """`per_prompt` continuations of each prompt at `temperature`, as word tokens (at most
    `continuation_words` of them). The word model never samples <unk>."""
    model.eval()
    states, lasts = [], []
    for text in prompt_texts:  # each prompt alone: no padding inside the recurrence
        ids = torch.as_tensor(vocab.encode(units(text, level)), device=device).unsqueeze(0)
        logits, (h, c) = model(ids)
        states.append((h, c))
        lasts.append(logits[:, -1])
    h = torch.cat([s[0] for s in states], 1).repeat_interleave(per_prompt, 1)
    c = torch.cat([s[1] for s in states], 1).repeat_interleave(per_prompt, 1)
    logits = torch.cat(lasts).repeat_interleave(per_prompt, 0)
    steps = continuation_words if level == "word" else max_steps
    out = []
    for _ in range(steps):
        scaled = logits / temperature
        scaled[:, 0] = -math.inf  # never <unk>
        probs = torch.softmax(scaled.float(), -1).cpu()
        nxt = torch.multinomial(probs, 1, generator=generator)
        out.append(nxt)
        step, (h, c) = model(nxt.to(device), (h, c))
        logits = step[:, -1]
    generated = torch.cat(out, 1).tolist()
    result = []
    for i, ids in enumerate(generated):
        tokens = vocab.decode(ids)
        if level == "word":
            result.append(tokens)
        else:  # the prompt's own words first, so a word the model merely finishes is not counted
            prompt = prompt_texts[i // per_prompt]
            words = tokenize(prompt + "".join(tokens))
            result.append(words[len(tokenize(prompt)):][:continuation_words])
    return result


def bleu(hypotheses: list[list[str]], references: list[list[str]], order: int = 4) -> float:
    """NLTK corpus BLEU (uniform n-gram weights up to `order`, smoothing method 1), one
    reference per hypothesis."""
    from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu
    weights = tuple([1.0 / order] * order)
    return float(corpus_bleu([[r] for r in references], hypotheses, weights=weights,
                             smoothing_function=SmoothingFunction().method1))


def score_temperatures(model, vocab: Vocab, level: str, test_text: str, config: dict, chars_per_word: float,
                       device, train_words: list[str] | None = None) -> tuple[dict, dict]:
    """BLEU and distinct-2 at every temperature (metrics; the 4-gram copy rate too when the
    training text's words are given) and a few samples of each (for the findings)."""
    pairs = prompts(test_text, config["prompts"], config["prompt_words"], config["continuation_words"])
    texts_, refs = [p for p, _ in pairs], [r for _, r in pairs]
    per = int(config["samples_per_prompt"])
    max_steps = int(math.ceil(2 * chars_per_word * config["continuation_words"])) + 10
    metrics, shown = {}, {"prompt": texts_[0], "reference": " ".join(refs[0])}
    for k, t in enumerate(config["temperatures"]):
        generator = torch.Generator().manual_seed(1000 * int(config["seed"]) + k)  # fixed per temperature
        hyps = sample(model, vocab, level, texts_, per, float(t), config["continuation_words"], max_steps,
                      generator, device)
        repeated = [r for r in refs for _ in range(per)]
        metrics[bleu_key(t)] = bleu(hyps, repeated, int(config["bleu_order"]))
        metrics[bleu_key(t, "distinct2")] = distinct_n(hyps, 2)
        if train_words is not None:
            metrics[bleu_key(t, "copy4")] = copy_rate(hyps, train_words, 4)
        shown[f"T={float(t):g}"] = [" ".join(h) for h in hyps[:2]]
    metrics["bleu_mean"] = float(np.mean([metrics[bleu_key(t)] for t in config["temperatures"]]))
    return metrics, shown


# ---------------------------------------------------------------- the trainable

def prepare(config: dict, data) -> dict:
    """Vocabulary and id arrays of one level, from the corpus's train/val/test texts."""
    t = texts(data)
    level = config["level"]
    if level not in ("word", "char"):
        raise ValueError(f"level must be word or char, not {level!r}")
    vocab = word_vocab(t["train"], int(config["word_vocab"])) if level == "word" else char_vocab(t["train"])
    train_words = len(tokenize(t["train"]))
    return {"vocab": vocab, "texts": t,
            "train": vocab.encode(units(t["train"], level)), "val": vocab.encode(units(t["val"], level)),
            "val_units_per_word": len(units(t["val"], level)) / max(1, len(tokenize(t["val"]))),
            "chars_per_word": len(t["train"]) / max(1, train_words)}


@trainable(DEFAULTS, load_corpus)
def train_language_model(run: Run) -> None:
    config, device = run.config, run.device
    p = prepare(config, run.data)
    level = config["level"]
    seq_len = int(config["word_seq_len"] if level == "word" else config["char_seq_len"])
    model = LanguageModel(len(p["vocab"]), config["embed"], config["hidden"], config["layers"],
                          config["dropout"]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=config["lr"])
    run.track(model=model, optimizer=opt)
    for _ in run.epochs():
        tr_loss = train_epoch(model, opt, p["train"], seq_len, config["batch_size"], config["clip"],
                              run.generator, device, run)
        va_loss = evaluate(model, p["val"], seq_len, device, autocast=run.autocast)
        metrics = {"train_loss": tr_loss, "val_loss": va_loss,
                   "val_perplexity": math.exp(min(va_loss, 50.0)),
                   "val_word_perplexity": math.exp(min(va_loss * p["val_units_per_word"], 50.0)),
                   "vocab_size": len(p["vocab"])}
        if run.last and is_finite(tr_loss, va_loss):
            scores, shown = score_temperatures(model, p["vocab"], level, p["texts"]["test"], config,
                                               p["chars_per_word"], device, tokenize(p["texts"]["train"]))
            metrics.update(scores)
            metrics["samples"] = json.dumps(shown)
        run.report(metrics, finite=(tr_loss, va_loss))


# The direction of every metric this trainable reports (the study contract, studies/contract.py)
train_language_model.metrics = {
    "train_loss": "min", "val_loss": "min", "val_perplexity": "min", "val_word_perplexity": "min",
    "vocab_size": "max", "bleu_mean": "max", **{bleu_key(t): "max" for t in TEMPERATURES},
    **{bleu_key(t, m): d for m, d in SAMPLE_MEASURES.items() for t in TEMPERATURES}}
