"""The trivial baseline of every study: what a model must beat before its findings mean anything
(issue 13, item 2). Each is a pure function of the study's data (the object its `load_data`
returns: arrays taken by key) and of the study's settings, with no training loop and no Ray.

`baselines(study, data, config)` returns a list of rows, each {"name": what it is, metric: value},
with the metric names the study's own table uses (e.g. `test_rmse`, `val_acc`, `test_mae`).
A row named "reference" or "ceiling" is not a trivial baseline and says so in its name.
Nothing here is tuned on a test split: where a setting is chosen (logistic regression's C), it is
chosen on the study's validation split, or on a part held out of the training split.

    tunestudies baselines [--profile local] [study ...]   # the numbers on the study's data (studies/cli.py)
"""
from __future__ import annotations

import math
import warnings

import numpy as np

SEED = 0
VERSION = 2  # bump when a baseline's computation changes: cached rows are keyed by it
C_GRID = (0.01, 0.1, 1.0)


# ---------------------------------------------------------------- classification

def majority(y_train, y_eval) -> float:
    """Accuracy on `y_eval` of always answering the most frequent training label (ties: the lowest)."""
    values, counts = np.unique(np.asarray(y_train), return_counts=True)
    return float(np.mean(np.asarray(y_eval) == values[np.argmax(counts)]))


def _matrix(x):
    """Dense arrays as floats; scipy sparse matrices (bag of words) as they are."""
    return x if hasattr(x, "tocsr") else np.asarray(x, float)


def _fit_logreg(x, y, c, start=None):
    from sklearn.linear_model import LogisticRegression
    model = LogisticRegression(C=c, max_iter=300, random_state=SEED, warm_start=start is not None)
    if start is not None:
        model.coef_, model.intercept_ = start.coef_.copy(), start.intercept_.copy()
    with warnings.catch_warnings():  # a few lbfgs iterations short of tolerance changes nothing here
        warnings.simplefilter("ignore")
        return model.fit(x, y)


def logistic_regression(x_train, y_train, x_eval, y_eval, x_val=None, y_val=None, grid=C_GRID) -> dict:
    """Multinomial logistic regression: C chosen on (x_val, y_val), or on a stratified 20% held out of
    the training rows when there is none; refitted on all training rows; scored on (x_eval, y_eval)."""
    x_train, y_train = _matrix(x_train), np.asarray(y_train)
    if x_val is None:
        from sklearn.model_selection import train_test_split
        fit_x, x_val, fit_y, y_val = train_test_split(x_train, y_train, test_size=0.2, random_state=SEED,
                                                      stratify=y_train)
    else:
        fit_x, fit_y = x_train, y_train
    scores, model = {}, None
    for c in sorted(grid):  # each fit starts where the stronger-regularised one ended: fewer iterations
        model = _fit_logreg(fit_x, fit_y, c, model)
        scores[c] = model.score(_matrix(x_val), y_val)
    best = max(grid, key=lambda c: (scores[c], -c))  # ties: the stronger regularisation
    model = _fit_logreg(x_train, y_train, best)
    return {"acc": float(model.score(_matrix(x_eval), y_eval)), "C": best,
            "val_acc_of_C": float(scores[best])}


def pixels(x) -> np.ndarray:
    """uint8 images (N, ...) -> (N, features) floats in [0, 1]."""
    x = np.asarray(x)
    return x.reshape(len(x), -1).astype(np.float64) / 255.0


def image_classification(data, config: dict, eval_split: str, metric: str) -> list[dict]:
    """Majority class and raw-pixel logistic regression. `eval_split` is the split the study's table
    reports (lr_sweep: `val`, its only held-out split; regularization and transfer: `test`)."""
    a = data.arrays
    x_tr, y_tr = pixels(a["x_train"]), a["y_train"]
    x_ev, y_ev = pixels(a[f"x_{eval_split}"]), a[f"y_{eval_split}"]
    if eval_split == "val":  # the reported split may not choose C: hold part of training out instead
        lr = logistic_regression(x_tr, y_tr, x_ev, y_ev)
        how = "C on 20% of train"
    else:
        lr = logistic_regression(x_tr, y_tr, x_ev, y_ev, pixels(a["x_val"]), a["y_val"])
        how = "C on the validation split"
    return [{"name": "majority class", metric: majority(y_tr, y_ev)},
            {"name": f"logistic regression on raw pixels ({how}: C={lr['C']:g})", metric: lr["acc"]}]


def bag_of_words(ids, vocab: int):
    """(N, max_len) token ids (0 = padding) -> (N, vocab) word counts."""
    from scipy import sparse
    ids = np.asarray(ids)
    rows = np.repeat(np.arange(len(ids)), ids.shape[1])
    cols = ids.ravel()
    keep = cols > 0
    return sparse.csr_matrix((np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(len(ids), vocab))


def sentiment(data, config: dict) -> list[dict]:
    a = data.arrays
    vocab = int(max(a[k].max() for k in ("x_train", "x_val", "x_test")) + 1)
    bow = {s: bag_of_words(a[f"x_{s}"], vocab) for s in ("train", "val", "test")}
    lr = logistic_regression(bow["train"], a["y_train"], bow["test"], a["y_test"], bow["val"], a["y_val"],
                             grid=(0.1, 0.3, 1.0, 3.0))
    return [{"name": "majority class", "test_acc": majority(a["y_train"], a["y_test"])},
            {"name": f"reference (not trivial): bag-of-words logistic regression (C={lr['C']:g} on the "
                     f"validation split)", "test_acc": lr["acc"]}]


# ---------------------------------------------------------------- forecasting

def forecast_errors(pred, actual) -> dict:
    err = np.asarray(pred, float) - np.asarray(actual, float)
    return {"test_rmse": float(np.sqrt(np.mean(err ** 2))), "test_mae": float(np.mean(np.abs(err)))}


def persistence(series, start: int) -> np.ndarray:
    """One step ahead: next month = this month, for the months from `start` on."""
    y = np.asarray(series, float)
    return y[start - 1:len(y) - 1]


def seasonal_growth(series, start: int, season: int = 12) -> np.ndarray:
    """One step ahead: the value a season before, times the growth over the last season observed,
    y[t-12] * (y[t-1] / y[t-13]); needs `start` >= season + 1."""
    y = np.asarray(series, float)
    if start < season + 1:
        raise ValueError(f"seasonal growth needs {season + 1} past values, the forecasts start at {start}")
    t = np.arange(start, len(y))
    return y[t - season] * y[t - 1] / y[t - season - 1]


def window_size(data, config: dict) -> list[dict]:
    y = np.asarray(data.arrays["series"], float)
    start = len(y) - int(config.get("test_months", 24))
    actual = y[start:]
    return [{"name": "persistence (next month = last month)", **forecast_errors(persistence(y, start), actual)},
            {"name": "seasonal naive x growth (y[t-12] * y[t-1] / y[t-13])",
             **forecast_errors(seasonal_growth(y, start), actual)}]


# ---------------------------------------------------------------- images

def mean_image_mse(x_train, x_eval) -> float:
    """MSE in [0, 1] units of predicting the mean training image for every held-out image."""
    tr, ev = pixels(x_train), pixels(x_eval)
    return float(np.mean((ev - tr.mean(0)) ** 2))


def noisy(x_uint8, level: float, seed: int) -> np.ndarray:
    """The denoising study's held-out inputs: Gaussian noise of std `level` (torch's generator,
    seeded as the study seeds it), clipped to [0, 1]."""
    import torch
    x = torch.tensor(np.asarray(x_uint8)).float() / 255.0
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(int(seed)))
    return (x + level * noise).clamp_(0.0, 1.0).numpy()


def _held_out(a: dict) -> tuple[str, np.ndarray]:
    """The split the autoencoder tables report: the test split where the validation split was
    carved from training (val_share > 0), else the held-out validation split."""
    return ("test_mse", a["x_test"]) if "x_test" in a else ("val_mse", a["x_val"])


def autoencoder_structure(data, config: dict) -> list[dict]:
    a = data.arrays
    key, held = _held_out(a)
    return [{"name": "mean training image", key: mean_image_mse(a["x_train"], held)}]


def denoising_loss(data, config: dict) -> list[dict]:
    a = data.arrays
    key, held = _held_out(a)
    clean = pixels(held)
    inputs = noisy(held, float(config.get("noise", 0.5)), int(config.get("eval_seed", 1234)))
    return [{"name": "mean training image", key: mean_image_mse(a["x_train"], held)},
            {"name": "identity (the noisy input itself)",
             key: float(np.mean((inputs.reshape(len(clean), -1) - clean) ** 2))}]


def vae_gan(data, config: dict) -> list[dict]:
    """Mean-image MSE; the IS and Frechet distance (the study's digit classifier, carried in the
    data) of the mean training image repeated (a trivial generator: IS 1) and of real training
    digits (a ceiling, not a baseline)."""
    a = data.arrays
    rows = [{"name": "mean training image (reconstruction)", "recon_mse": mean_image_mse(a["x_train"], a["x_val"])}]
    if not any(k.startswith("clf/") for k in a):
        return rows
    import torch

    from trainables.sample_quality import classifier_from, sample_scores
    clf = classifier_from(a)
    _, real = clf.probs_and_features(torch.tensor(np.asarray(a["x_val"])).float() / 255)
    n, splits = int(config.get("n_samples", 1000)), int(config.get("is_splits", 10))
    train = torch.tensor(np.asarray(a["x_train"])).float() / 255
    n = max(min(n, len(train)), splits)
    mean = train.mean(0, keepdim=True).expand(n, *train.shape[1:])
    picked = train[torch.randperm(len(train), generator=torch.Generator().manual_seed(SEED))[:n]]
    for name, images in (("mean training image, repeated (trivial generator)", mean),
                         (f"ceiling (not a baseline): {n} real training digits", picked)):
        s = sample_scores(clf, images, real, splits)
        rows.append({"name": name, "is_mean": s["is_mean"], "frechet": s["frechet"]})
    return rows


# ---------------------------------------------------------------- colourisation

def colorization(data, config: dict) -> list[dict]:
    """Every pixel gets the mean training (a, b) with its true L; the study's test MAE (RGB in [0, 1]),
    output chroma and the colour measures against the truth. Also the grey image (a = b = 0)."""
    from skimage.color import lab2rgb, rgb2lab

    from trainables.measures import ab_distance, chroma_error
    a = data.arrays
    lab_tr = rgb2lab(np.asarray(a["x_train"]).transpose(0, 2, 3, 1) / 255.0)
    rgb_te = np.asarray(a["x_test"]).transpose(0, 2, 3, 1) / 255.0
    lab_te = rgb2lab(rgb_te)
    truth_chroma = float(np.sqrt((lab_te[..., 1:] ** 2).sum(-1)).mean())
    mean_ab = lab_tr[..., 1:].reshape(-1, 2).mean(0)
    rows = []
    for name, ab in ((f"mean training colour (a={mean_ab[0]:.1f}, b={mean_ab[1]:.1f})", mean_ab),
                     ("grey (a = b = 0)", np.zeros(2))):
        lab = lab_te.copy()
        lab[..., 1:] = ab
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rgb = np.clip(lab2rgb(lab), 0.0, 1.0)
        rows.append({"name": name, "test_mae": float(np.abs(rgb - rgb_te).mean()),
                     "chroma": float(np.hypot(*ab)), "chroma_truth": truth_chroma,
                     "chroma_error": chroma_error(lab[..., 1:], lab_te[..., 1:]),
                     "ab_distance": ab_distance(lab[..., 1:], lab_te[..., 1:])})
    return rows


# ---------------------------------------------------------------- text generation

def unigram_bleu(train_text: str, test_text: str, config: dict, seed: int = SEED) -> dict:
    """BLEU of a unigram sampler, scored exactly as the study scores its models: the same held-out
    prompts and references, the same tokenizer and NLTK corpus BLEU. Words are drawn from the word
    model's vocabulary with p ~ count^(1/T), at every temperature of the study."""
    from collections import Counter

    from trainables.data.corpus import tokenize
    from trainables.language_model import bleu, bleu_key, prompts
    counts = Counter(tokenize(train_text))
    size = int(config.get("word_vocab", 2000)) - 1  # the word model's vocabulary without <unk>
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    words = np.array([w for w, _ in ranked])
    logc = np.log(np.array([c for _, c in ranked], float))
    pairs = prompts(test_text, int(config.get("prompts", 40)), int(config.get("prompt_words", 10)),
                    int(config.get("continuation_words", 20)))
    per, k = int(config.get("samples_per_prompt", 4)), int(config.get("continuation_words", 20))
    refs = [r for _, r in pairs for _ in range(per)]
    rng = np.random.default_rng(seed)
    out = {}
    for t in config.get("temperatures", [0.2, 0.5, 0.8, 1.0, 1.2, 1.5]):
        p = np.exp((logc - logc.max()) / float(t))
        hyps = [list(rng.choice(words, size=k, p=p / p.sum())) for _ in refs]
        out[bleu_key(t)] = bleu(hyps, refs, int(config.get("bleu_order", 4)))
    out["bleu_mean"] = float(np.mean(list(out.values())))
    return out


def unigram_perplexity(train_text: str, eval_text: str) -> float:
    """Per-word perplexity of an add-one unigram model of the training words (unseen words share
    one extra slot)."""
    from collections import Counter

    from trainables.data.corpus import tokenize
    counts = Counter(tokenize(train_text))
    words = tokenize(eval_text)
    total, v = sum(counts.values()), len(counts) + 1
    nll = -sum(math.log((counts.get(w, 0) + 1) / (total + v)) for w in words)
    return float(math.exp(nll / max(1, len(words))))


def textgen_temperature(data, config: dict) -> list[dict]:
    from trainables.data.corpus import texts
    t = texts(data)
    return [{"name": "unigram sampler (training word frequencies, same prompts and BLEU)",
             **unigram_bleu(t["train"], t["test"], config),
             "val_word_perplexity": unigram_perplexity(t["train"], t["val"])}]


# ---------------------------------------------------------------- reinforcement learning

def policy_return(env_name: str, act, episodes: int, seed: int, max_steps: int = 0) -> float:
    """Mean return of `act(rng, observation) -> action` over `episodes` episodes (reset seeds
    seed, seed + 1, ...)."""
    import gymnasium
    env = gymnasium.make(env_name, max_episode_steps=max_steps) if max_steps else gymnasium.make(env_name)
    rng = np.random.default_rng(seed)
    total = 0.0
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        env.action_space.seed(seed + i)
        done = False
        while not done:
            obs, r, terminated, truncated, _ = env.step(act(rng, obs, env))
            total += float(r)
            done = terminated or truncated
    env.close()
    return total / episodes


def random_and_constant(env_name: str, episodes: int, max_steps: int = 0) -> list[dict]:
    """The uniform random policy, and the constant action that does best on one set of episodes,
    scored on fresh ones (so choosing the action does not flatter it)."""
    import gymnasium
    n = gymnasium.make(env_name).action_space.n
    rand = policy_return(env_name, lambda rng, obs, env: int(rng.integers(n)), episodes, 10_000, max_steps)
    pick = {a: policy_return(env_name, lambda rng, obs, env, a=a: a, episodes, 20_000, max_steps) for a in range(n)}
    best = max(range(n), key=lambda a: (pick[a], -a))
    const = policy_return(env_name, lambda rng, obs, env: best, episodes, 30_000, max_steps)
    return [{"name": f"{env_name}: uniform random policy", "env": env_name, "mean_return": rand},
            {"name": f"{env_name}: constant action {best} (best of {n}, chosen on other episodes)",
             "env": env_name, "mean_return": const}]


def exploration(data, config: dict) -> list[dict]:
    names = getattr(data, "names", None) or {"q": config.get("env", "FrozenLake-v1"),
                                             "dqn": config.get("dqn_env", "CartPole-v1")}
    rows = []
    for agent, env_name in sorted(names.items(), key=lambda kv: kv[0] != "q"):
        cap = int(config.get("dqn_max_steps", 200) if agent == "dqn" else config.get("max_steps", 0))
        if not cap and env_name == "CliffWalking-v1":
            cap = 200  # the study's own cap there (trainables.rl.ENVS)
        rows += random_and_constant(env_name, int(config.get("baseline_episodes", 200)), cap)
    return rows




def columns_of(spec, metric: str) -> list:
    """The table columns a baseline metric stands beside (the study's spec says)."""
    columns = spec.baseline_columns
    return columns(metric) if callable(columns) else columns.get(metric, [])


def by_environment(row: dict, arms: dict, fixed: dict) -> list | None:
    """The arms whose agent runs in the row's environment (a row without one: every arm)."""
    if "env" not in row:
        return None
    envs = {"q": fixed.get("env", "FrozenLake-v1"), "dqn": fixed.get("dqn_env", "CartPole-v1")}
    return [a for a, cfg in arms.items() if envs.get(cfg.get("agent")) == row["env"]]


def trivial(name: str) -> bool:
    """A row named "reference ..." or "ceiling ..." is shown, but no model must beat it."""
    return not name.lower().startswith(("reference", "ceiling"))


def for_table(spec, rows: list[dict], arms: dict, fixed: dict) -> list[dict]:
    """Each baseline row as the table shows it: {"name", "trivial", "values": {column: value},
    "better": {column: "max"/"min"/None}, "arms": the arms it stands beside (None: all)}."""
    which_arms = spec.baseline_arms or (lambda row, arms, fixed: None)
    out = []
    for row in rows:
        values, better = {}, {}
        for metric, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                for column, side in columns_of(spec, metric):
                    values[column], better[column] = float(value), side
        applies = which_arms(row, arms, fixed)
        if values:
            out.append({"name": row["name"], "trivial": trivial(row["name"]), "values": values,
                        "better": better, "arms": applies})
    return out


def record(spec, data, fixed: dict, arms: dict) -> dict:
    """What the runner stores in manifest.json under `baselines`: the rows as the table uses them,
    how long they took, or the error that stopped them (a baseline never stops a study)."""
    import hashlib
    import json
    import time

    from trainables.data.cache import cache_dir
    started = time.time()
    # the same data and settings give the same rows: computed once per machine (logistic
    # regression on pixels takes tens of seconds on a small CPU), then read back
    study = spec.study
    key = json.dumps([VERSION, study, getattr(data, "info", None), fixed], sort_keys=True, default=str)
    path = cache_dir() / "baselines" / f"{study}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    cached = path.exists()
    try:
        rows = json.loads(path.read_text()) if cached else baselines(spec, data, fixed)
    except Exception as err:  # noqa: BLE001 - recorded, shown in the table note
        return {"rows": [], "error": f"{type(err).__name__}: {err}"[:300],
                "seconds": round(time.time() - started, 2)}
    if not cached:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(rows, default=float))
        except OSError:
            pass  # no cache: computed again next time
    return {"rows": for_table(spec, rows, arms, fixed), "raw": rows,
            "seconds": round(time.time() - started, 2), "cached": cached}


def baselines(spec, data, config: dict | None = None) -> list[dict]:
    """The rows of the study's trivial baselines (`spec`: its analysis/report/<study>.py SPEC)."""
    make = spec.baselines
    if make is None:
        raise KeyError(f"no baseline for study {spec.study!r} (its report spec names none)")
    return make(data, dict(config or {}))
