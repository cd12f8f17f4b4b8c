"""The range each `--set` value may take, checked before Ray starts: a batch of 0, a rate of NaN or
a device that does not exist is one line now, not a crashed trial (or a silent wrong run) later.
Keys are the trainables' config keys (`train_x.defaults`); a key not named here is only typed."""
from __future__ import annotations

import math
import re

# counts and sizes: integers >= 1
POSITIVE = {"batch_size", "eval_batch_size", "width", "hidden", "embed", "embed_dim", "epochs", "latent",
            "layers", "bottleneck", "dqn_batch", "dqn_hidden", "dqn_buffer", "window", "image_size",
            "char_seq_len", "word_seq_len", "vocab_size", "word_vocab", "max_len", "glove_dim", "n_samples",
            "prompts", "samples_per_prompt", "continuation_words", "prompt_words", "episodes_per_block",
            "dqn_episodes_per_block", "dqn_target_every", "dqn_train_every", "patience", "is_splits",
            "samples", "classifier_epochs", "bleu_order", "checkpoint_every", "test_months", "val_months"}
# rates, temperatures, weights: finite and > 0
POSITIVE_REAL = {"lr", "base_lr", "lr_scale", "dqn_lr", "alpha", "temperature", "dqn_temperature",
                 "temperature_min", "kl_weight", "l1_weight", "collapse_d_loss"}
# weights and limits where 0 means "off" (clip=0: no gradient clipping): finite and >= 0
NON_NEGATIVE = {"clip", "max_train", "max_val", "max_test", "max_chars", "max_texts", "max_months", "max_steps",
                "fail_at_epoch", "eval_episodes", "dqn_eval_episodes", "precise_bn_images", "preview"}
# shares and probabilities: [low, high] (open where marked)
UNIT = {"momentum": (0, 1, "[0, 1)"), "dropout": (0, 1, "[0, 1)"), "bn_momentum": (0, 1, "[0, 1]"),
        "gamma": (0, 1, "[0, 1]"), "eps_start": (0, 1, "[0, 1]"), "eps_min": (0, 1, "[0, 1]"),
        "eps_decay": (0, 1, "(0, 1]"), "dqn_eps_decay": (0, 1, "(0, 1]"), "temperature_decay": (0, 1, "(0, 1]"),
        "val_fraction": (0, 1, "(0, 1)"), "test_fraction": (0, 1, "(0, 1)"), "val_share": (0, 1, "[0, 1)"),
        "noise": (0, 10, "[0, 10]")}
CHOICES = {"optimizer": ("adam", "sgd"), "amp": ("auto", "off", "bf16", "fp16"),
           "lr_schedule": ("constant", "cosine")}
DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?|mps")


def _inside(value: float, low: float, high: float, text: str) -> bool:
    open_low, open_high = text.startswith("("), text.endswith(")")
    return (value > low if open_low else value >= low) and (value < high if open_high else value <= high)


def problem(key: str, value) -> str | None:
    """Why `value` is not a valid `key`, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if key in POSITIVE and isinstance(value, (int, float)) and not isinstance(value, bool) and value < 1:
        return f"must be at least 1, got {value}"
    if key in POSITIVE_REAL and isinstance(value, (int, float)) and value <= 0:
        return f"must be > 0, got {value}"
    if key in NON_NEGATIVE and isinstance(value, (int, float)) and value < 0:
        return f"must be >= 0 (0: off), got {value}"
    if key in UNIT and isinstance(value, (int, float)) and not _inside(value, *UNIT[key]):
        return f"must be in {UNIT[key][2]}, got {value}"
    if key in CHOICES and value not in CHOICES[key]:
        return f"must be one of {', '.join(CHOICES[key])}"
    if key == "device" and not (isinstance(value, str) and DEVICE.fullmatch(value)):
        return "must be auto, cpu, cuda, cuda:N or mps"
    return None
