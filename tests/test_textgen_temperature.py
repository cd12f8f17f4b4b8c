"""The text-generation temperature study (Figures 4, 5): the smoke profile through real Ray Tune,
and the language models, their BLEU scoring and the corpus loaders without Ray."""
import json
import math

import pandas as pd
import pytest
import torch

from search_spaces.textgen_temperature import ARMS
from tests.conftest import arm_rows, check_findings
from trainables.data.cache import DataError
from trainables.data.corpus import OFFLINE_HINT, load_corpus, load_plays, load_text, normalise, texts, tokenize
from trainables.language_model import (
    TEMPERATURES,
    LanguageModel,
    Vocab,
    bleu,
    bleu_key,
    char_vocab,
    prompts,
    sample,
    score_temperatures,
    train_language_model,
    word_vocab,
)
from trainables.session import LocalSession, load_state

BLEU_COLUMNS = {f"final_{bleu_key(t)}" for t in TEMPERATURES}

LINES = ["First Citizen:", "Before we proceed any further, hear me speak.", "All:", "Speak, speak.",
         "First Citizen:", "You are all resolved rather to die than to famish?", "All:",
         "Resolved. resolved.", "First Citizen:", "First, you know Caius Marcius is chief enemy to the people.",
         "All:", "We know't, we know't.", "First Citizen:", "Let us kill him, and we'll have corn at our own price.",
         "Is't a verdict?", "All:", "No more talking on't; let it be done: away, away!"]
TEXT = "\n".join(LINES * 12) + "\n"   # the tiny-shakespeare format: plain UTF-8 text

TINY = {"epochs": 2, "embed": 8, "hidden": 16, "word_vocab": 40, "word_seq_len": 8, "char_seq_len": 24,
        "batch_size": 16, "prompts": 4, "samples_per_prompt": 2, "lr": 1e-2}


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "input.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the study through Ray Tune

@pytest.fixture(scope="module")
def textgen_run(smoke_run):
    return smoke_run("textgen_temperature")


def test_both_levels_have_bleu_at_every_temperature_and_a_perplexity(textgen_run):
    csv = arm_rows(textgen_run)
    for t in TEMPERATURES:  # every level has a BLEU at every temperature, in [0, 100]
        assert csv[f"final_{bleu_key(t)}_mean"].between(0, 100).all()
        assert (csv[f"final_{bleu_key(t)}_n"] == 1).all()
    assert (csv["best_val_perplexity_mean"] > 1).all()
    # a character model has a far smaller perplexity per character than a word model per word
    assert csv.loc["char", "best_val_perplexity_mean"] < csv.loc["word", "best_val_perplexity_mean"]


def test_temperature_is_no_trial_setting_and_bleu_comes_at_the_end(textgen_run):
    trials = pd.read_parquet(textgen_run / "trials.parquet")
    history = pd.read_parquet(textgen_run / "history.parquet")
    assert set(trials["config/level"]) == {"word", "char"} and "config/temperature" not in trials
    full = trials[trials["status"] == "completed"]
    assert set(full["arm"]) == set(ARMS)
    assert full[sorted(BLEU_COLUMNS)].notna().all().all()
    assert history["val_perplexity"].notna().all()
    # BLEU and samples only at the end of training
    last = history[history["epoch"] == 2]
    assert history.loc[history["epoch"] == 1, "bleu_t020"].isna().all()
    shown = json.loads(last["samples"].dropna().iloc[0])
    assert {"prompt", "reference"} | {f"T={t:g}" for t in TEMPERATURES} <= set(shown)


def test_findings_and_figures(textgen_run):
    found = list(check_findings(textgen_run, seeds=1).values())
    assert len(found) == 6  # 3 BLEU findings, variety, copy rate (not measured), the novel-words check
    # the trends: a rank correlation with an interval over the temperatures; samples shown
    for trend in found[:2]:
        assert trend.unit == "rho" and trend.comparisons[0].fisher
        assert "T=0.2: «" in trend.evidence and "T=1.5: «" in trend.evidence
    # one seed in smoke: the word vs char comparison has no interval
    assert found[2].verdict == "inconclusive" and found[2].interval is None
    assert (textgen_run / "figures" / "bleu_vs_temperature.png").stat().st_size > 10_000
    assert (textgen_run / "figures" / "curves_per_arm.png").exists()


# ---------------------------------------------------------------- models, sampling, BLEU

def test_tokenizer_is_shared_by_both_levels():
    assert tokenize("Is't so -- my Lord?!") == ["is't", "so", "--", "my", "lord", "?", "!"]
    assert normalise("A  b\r\n\n\n\nC\t d") == "a b\n\nc d\n"


def test_prompts_are_consecutive_held_out_words():
    text = normalise(TEXT)
    words = tokenize(text)
    pairs = prompts(text, 5, 6, 9)
    assert len(pairs) == 5
    for prompt, reference in pairs:
        p = tokenize(prompt)
        assert len(p) == 6 and len(reference) == 9
        i = next(i for i in range(len(words)) if words[i:i + 6] == p and words[i + 6:i + 15] == reference)
        assert i >= 0


def test_bleu_is_nltk_smoothed_corpus_bleu():
    ref = "we know't , we know't . let us kill him".split()
    assert bleu([ref], [ref]) == pytest.approx(1.0)
    assert bleu([["x"] * len(ref)], [ref]) < 0.01
    partial = bleu([ref[:5] + ["x"] * 5], [ref])
    assert 0.05 < partial < 1.0
    assert bleu([ref[:5] + ["x"] * 5], [ref], order=2) > partial  # fewer n-gram orders, higher


def test_low_temperature_concentrates_samples():
    """Sampling from a fixed distribution: at T=0.2 the likeliest token nearly always wins, at
    T=1.5 far less often; <unk> (id 0) is never drawn."""
    vocab = Vocab(["a", "b", "c", "d"])
    model = LanguageModel(len(vocab), 4, 4)
    with torch.no_grad():
        model.out.weight.zero_()
        model.out.bias.copy_(torch.tensor([5.0, 2.0, 1.0, 0.0, 0.0]))
    share = {}
    for t in (0.2, 1.5):
        out = sample(model, vocab, "word", ["a b"], 50, t, 10, 0, torch.Generator().manual_seed(0), "cpu")
        tokens = [w for s in out for w in s]
        assert len(tokens) == 500 and "<unk>" not in tokens
        share[t] = tokens.count("a") / len(tokens)
    assert share[0.2] > 0.95 and share[1.5] < 0.75


def test_char_samples_are_cut_to_the_same_number_of_words():
    vocab = char_vocab("ab .\n")
    model = LanguageModel(len(vocab), 4, 8)
    out = sample(model, vocab, "char", ["ab ba"], 3, 1.0, 5, 80, torch.Generator().manual_seed(0), "cpu")
    assert len(out) == 3 and all(len(s) <= 5 for s in out)
    assert all(set("".join(s)) <= set("ab.") for s in out)


def test_word_vocabulary_is_capped_and_the_rest_is_unk():
    v = word_vocab("the the the king king queen a", 3)
    assert v.itos == ["<unk>", "the", "king"]
    assert v.encode(["queen", "king"]).tolist() == [0, 2]


def test_scores_are_reproducible_with_a_fixed_seed(text_file):
    data = load_text(str(text_file))
    from trainables.language_model import DEFAULTS, prepare
    torch.set_num_threads(1)
    cfg = {**DEFAULTS, **TINY, "level": "char", "seed": 0, "prompt_words": 5, "continuation_words": 8}
    p = prepare(cfg, data)
    model = LanguageModel(len(p["vocab"]), 8, 16)
    a, _ = score_temperatures(model, p["vocab"], "char", p["texts"]["test"], cfg, p["chars_per_word"], "cpu")
    b, _ = score_temperatures(model, p["vocab"], "char", p["texts"]["test"], cfg, p["chars_per_word"], "cpu")
    assert a == b and set(a) == ({bleu_key(t, m) for t in TEMPERATURES for m in ("bleu", "distinct2")}
                                 | {"bleu_mean"})
    # with the training words, the 4-gram copy rate at every temperature too, a share
    c, _ = score_temperatures(model, p["vocab"], "char", p["texts"]["test"], cfg, p["chars_per_word"], "cpu",
                              tokenize(p["texts"]["train"]))
    assert all(0 <= c[bleu_key(t, "copy4")] <= 1 and c[bleu_key(t)] == a[bleu_key(t)] for t in TEMPERATURES)


def test_a_model_that_repeats_the_training_text_copies_it_and_varies_little(text_file):
    # the word model trained hard on a tiny repeated text, sampled cold: it recites the text (copy
    # rate high, few distinct bigrams); sampled hot it wanders (lower copy, more distinct)
    data = load_text(str(text_file))
    from trainables.language_model import DEFAULTS
    cfg = {**DEFAULTS, **TINY, "level": "word", "seed": 0, "epochs": 30, "prompt_words": 4,
           "continuation_words": 8, "temperatures": [0.2, 3.0], "prompts": 6, "samples_per_prompt": 3}
    h = train_language_model(cfg, LocalSession(threads=1), data).history[-1]
    assert h["copy4_t020"] > h["copy4_t300"] and h["copy4_t020"] > 0.5
    assert h["distinct2_t020"] < h["distinct2_t300"]


@pytest.mark.parametrize("level", ["word", "char"])
def test_training_reports_perplexity_each_epoch_and_bleu_at_the_end(level, text_file):
    data = load_text(str(text_file))
    h = train_language_model({**TINY, "level": level}, LocalSession(threads=1), data).history
    assert [r["epoch"] for r in h] == [1, 2] and h[-1]["done_training"] and not h[0]["done_training"]
    assert h[1]["val_loss"] < h[0]["val_loss"] + 0.5
    assert all(r["val_perplexity"] == pytest.approx(math.exp(r["val_loss"])) for r in h)
    assert "bleu_t020" not in h[0] and all(0 <= h[-1][bleu_key(t)] <= 1 for t in TEMPERATURES)
    if level == "word":
        assert h[-1]["vocab_size"] == TINY["word_vocab"]
        assert h[-1]["val_word_perplexity"] == pytest.approx(h[-1]["val_perplexity"])
    else:  # several characters per word: a word costs more than a character
        assert h[-1]["val_word_perplexity"] > h[-1]["val_perplexity"] ** 3


def test_a_restored_trial_resumes_from_its_checkpoint(text_file, tmp_path):
    data = load_text(str(text_file))
    config = {**TINY, "level": "word", "epochs": 1}
    ckpt = tmp_path / "ckpt"
    train_language_model(config, LocalSession(ckpt, threads=1), data)
    assert load_state(ckpt)["epoch"] == 1
    resumed = train_language_model({**config, "epochs": 2}, LocalSession(ckpt, threads=1), data)
    unbroken = train_language_model({**config, "epochs": 2}, LocalSession(threads=1), data)
    assert [r["epoch"] for r in resumed.history] == [2]
    assert resumed.history[0]["val_loss"] == pytest.approx(unbroken.history[-1]["val_loss"], rel=1e-5)
    assert resumed.history[0]["bleu_t100"] == pytest.approx(unbroken.history[-1]["bleu_t100"])


def test_a_non_finite_loss_stops_the_trial_as_diverged(text_file):
    data = load_text(str(text_file))
    h = train_language_model({**TINY, "lr": float("inf"), "clip": 0.0, "epochs": 4}, LocalSession(threads=1), data).history
    assert h[-1]["diverged"] and len(h) < 4 and "bleu_t020" not in h[-1]


# ---------------------------------------------------------------- corpora

def test_a_local_text_file_is_split_without_overlap(text_file):
    data = load_corpus({"corpus": str(text_file)})
    t = texts(data)
    assert data.name == "text file input.txt" and data.stand_in_for
    assert t["train"] + t["val"] + t["test"] == normalise(TEXT)
    assert 0.75 < len(t["train"]) / len(normalise(TEXT)) < 0.85
    assert len(data.info["sha256_16"]) == 16


def test_a_plain_http_url_is_refused(tmp_path, monkeypatch):
    # https downloads, their cache and their sha256: tests/test_downloads.py (a local https server)
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="must be an https URL") as err:
        load_corpus({"corpus": "http://127.0.0.1:9/input.txt"})
    assert "\n" not in str(err.value)


def test_an_unreachable_url_fails_with_one_line_naming_the_embedded_corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESTUDIES_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataError) as err:
        load_corpus({"corpus": "https://127.0.0.1:9/input.txt"})
    message = str(err.value)
    assert "\n" not in message and OFFLINE_HINT in message and "--profile local" in message
    with pytest.raises(DataError, match="no text file"):
        load_corpus({"corpus": str(tmp_path / "missing.txt")})


def test_gutenberg_plays_are_read_as_latin1(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    body = ("HAMLET\n\nACT I.\n\nBer.\nWho's there? Caf\xe9.\n\n" + TEXT).encode("latin-1")
    (folder / "hamlet_gut.txt").write_bytes(body)
    (folder / "macbeth_gut.txt").write_bytes(TEXT.encode("latin-1"))
    data = load_plays(["hamlet", "macbeth"], folder=folder)
    t = texts(data)
    assert t["train"].startswith("hamlet\n\nact i.\n\nber.\nwho's there? caf\xe9.")
    assert "hamlet, macbeth" in data.name
    with pytest.raises(DataError, match="known: hamlet, macbeth"):
        load_plays(["lear"], folder=folder)
    short = texts(load_plays(["hamlet"], 5000, folder=folder))
    assert len("".join(short.values())) <= 5001


def test_the_embedded_plays_load():
    data = load_corpus({"corpus": "shakespeare", "plays": ["macbeth"], "max_chars": 40_000})
    assert "macbeth" in data.name and sum(data.info["chars"].values()) < 41_000
    assert "macbeth" in texts(data)["train"][:200]
