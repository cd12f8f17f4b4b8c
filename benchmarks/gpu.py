"""What a GPU does with each study's full-profile model: items per second with and without mixed
precision, beside a plain torchvision ResNet-50 training step (the card's reference ceiling).

    python benchmarks/gpu.py                # on a CUDA machine: a table, and $OUT/gpu.json if OUT is set
    python benchmarks/gpu.py --cpu-check    # the same code path on the CPU, tiny sizes (what the test runs)
    python benchmarks/gpu.py --share 1,2,4,8   # also: 1, 2, 4, 8 trials of each launch-bound study at once

No Ray (it cannot be carried to the GPU machine) and no download: each study's real trainable runs
through a LocalSession on miniature in-memory data in the real shapes and dtypes of its full-profile
loader (random pixels, labels, token ids and text; the airline series and gymnasium environments are
the real ones). Each study runs 2 epochs of its FULL-profile config (fixed settings, its first arm
or the arm named below, the first grid value of each nuisance setting); the second epoch is timed,
evaluation included, and the run stops there (the trainable's end-of-training extras never run).
Transfer's VGG16/ResNet50 have random weights (`weights=none`): their ImageNet weights cannot be
fetched there, and the speed does not depend on them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/gpu.py`: the project root on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch

from studies import registry
from trainables.data.dataset import Data
from trainables.device import synchronize
from trainables.session import LocalSession, flatten_arm

# per study: the arm to time (default: the first) and evaluation-only settings cut down so that an
# epoch measures training, not scoring (each such cut is printed with the table)
ARM = {"exploration": "dqn_eps"}       # the tabular arms use no GPU; the DQN does
EXTRA_ARMS = {"transfer": ["resnet50_finetune"]}
BENCH_SET = {
    "transfer": {"weights": "none"},
    "vae_gan": {"n_samples": 1000},
    "exploration": {"dqn_eval_episodes": 2},
}


@dataclass
class Size:
    """How much miniature data: images / reviews per split, corpus words, RL episodes per epoch."""
    images: int
    texts: int
    words: int
    episodes: int
    epochs: int


GPU = Size(images=4096, texts=2048, words=60_000, episodes=4, epochs=2)
CPU_CHECK = Size(images=24, texts=16, words=2000, episodes=1, epochs=1)


class Enough(Exception):
    """Raised by the session after the last timed epoch: the trial stops there."""


class TimingSession(LocalSession):
    """A LocalSession that notes the wall time (after the GPU's queued work) of every report and
    the state's kept values (the DQN's step counter), and stops the trial after `epochs` reports."""

    def __init__(self, device: torch.device, epochs: int):
        super().__init__()
        self.device, self.epochs, self.times, self.kept = device, epochs, [time.perf_counter()], []

    wants_images = False  # the previews (trainables/previews.py) are not what is timed

    def report(self, metrics: dict, state: dict | None = None, images=None) -> None:
        synchronize(self.device)
        self.times.append(time.perf_counter())
        super().report(metrics, None)
        self.kept.append(dict((state or {}).get("keep", {})))
        if len(self.history) >= self.epochs:
            raise Enough


# ---------------------------------------------------------------- miniature data, real shapes

def images(rng, n, shape, classes, keys=("train", "val")) -> dict:
    out = {}
    for k in keys:
        out[f"x_{k}"] = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
        y = (np.arange(n) % classes).astype(np.int64)
        y[-1] = classes - 1  # the model's output width is the largest label + 1
        out[f"y_{k}"] = y
    return out


def text(rng, words: int, vocab: int) -> str:
    """Lines of random lower-case words from a `vocab`-word lexicon (Zipf-like draws)."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lexicon = ["".join(rng.choice(letters, rng.integers(2, 9))) for _ in range(vocab)]
    draws = np.minimum(rng.zipf(1.2, words) - 1, vocab - 1)
    lines = [" ".join(lexicon[i] for i in draws[j:j + 12]) for j in range(0, words, 12)]
    return "\n".join(lines) + "\n"


def mini_data(study: str, config: dict, size: Size, rng):
    """(data, items per epoch, unit) for `study`'s full-profile config."""
    n = size.images
    if study in ("regularization", "lr_sweep"):          # CIFAR-10
        return Data(images(rng, n, (3, 32, 32), 10), "random CIFAR-10-shaped images", "benchmarks/gpu.py"), n, "images"
    if study == "colorization":                           # CIFAR-10, no labels
        a = images(rng, n, (3, 32, 32), 10)
        return (Data({"x_train": a["x_train"], "x_val": a["x_val"], "x_test": a["x_val"]},
                     "random CIFAR-10-shaped images", "gpu.py"), n, "images")
    if study == "transfer":                               # Tiny-ImageNet, 200 classes
        a = images(rng, max(n // 4, 8), (3, 64, 64), 200, ("train", "val", "test"))
        return Data(a, "random Tiny-ImageNet-shaped images", "gpu.py"), len(a["y_train"]), "images"
    if study in ("autoencoder_structure", "denoising_loss"):  # MNIST padded to 32x32
        return Data(images(rng, n, (1, 32, 32), 10), "random MNIST-32-shaped images", "gpu.py"), n, "images"
    if study == "vae_gan":                                # MNIST 28x28 + the scoring classifier
        from trainables.sample_quality import classifier_arrays
        a = images(rng, n, (1, 28, 28), 10)
        clf = classifier_arrays(a["x_train"][:256], a["y_train"][:256], a["x_val"][:64], a["y_val"][:64], 1)
        return Data({**a, **clf}, "random MNIST-shaped images", "gpu.py"), n, "images"
    if study == "sentiment":                              # IMDB ids (N, max_len), GloVe rows
        vocab, max_len, dim = int(config["vocab_size"]), int(config["max_len"]), int(config.get("glove_dim", 300))
        m = size.texts
        a = {}
        for k in ("train", "val", "test"):
            a[f"x_{k}"] = rng.integers(2, vocab, (m, max_len), dtype=np.int64)
            a[f"y_{k}"] = (np.arange(m) % 2).astype(np.int64)
        a["x_examples"] = rng.integers(2, vocab, (4, max_len), dtype=np.int64)
        a["glove"] = rng.normal(0, 0.4, (vocab, dim)).astype(np.float32)
        a["glove_found"] = np.ones(vocab, bool)
        a["glove_found"][:2] = False
        return Data(a, "random IMDB-shaped token ids", "gpu.py", extra={"vocab": vocab, "glove_dim": dim}), m * max_len, "tokens"
    if study == "textgen_temperature":                    # a text corpus
        from trainables.data.corpus import _as_data
        from trainables.language_model import prepare
        vocab = min(int(config["word_vocab"]) + 2000, max(size.words // 4, 60))
        data = _as_data([text(rng, size.words, vocab)], "random-word text", "gpu.py", config)
        return data, len(prepare(config, data)["train"]), "tokens"
    if study == "window_size":                            # the real airline series (embedded)
        from trainables.data.airline import load_airline
        return load_airline(config), 1, "epochs"
    if study == "exploration":                            # gymnasium's own environments
        from trainables.data.envs import load_envs
        return load_envs(config), None, "env steps"
    # any other study: its own smoke-profile data (it ships in packages, so it loads offline), timed
    # per epoch, since this file does not know its items
    smoke = registry.load(study).space("smoke", "grid").fixed
    return registry.load(study).load_data({**smoke, "profile": "smoke"}), None, "epochs"


def full_config(study: str, arm_name: str | None, size: Size) -> dict:
    """The study's full-profile config: fixed + the arm + each nuisance setting's first grid value."""
    space = registry.load(study).space("full", "grid")
    arms = {a["name"]: a for a in space.arm_dicts()}
    arm = arms[arm_name or ARM.get(study) or next(iter(arms))]
    config = {**space.fixed, **{k: nu.grid[0] for k, nu in space.nuisance.items()}, "arm": arm, "profile": "full"}
    config = flatten_arm(config)
    config.update(BENCH_SET.get(study, {}))
    if study == "exploration":
        config["dqn_episodes_per_block"] = size.episodes
    return config


# ---------------------------------------------------------------- timing

def time_study(study: str, arm: str | None, device: torch.device, amp: str, size: Size) -> dict:
    config = {**full_config(study, arm, size), "device": str(device), "amp": amp}
    data, items, unit = mini_data(study, config, size, np.random.default_rng(0))
    session = TimingSession(device, size.epochs)
    try:
        registry.load(study).train(config, session, data)
    except Enough:
        pass
    last = len(session.times) - 1
    seconds = session.times[last] - session.times[last - 1]
    if items is None:  # the DQN's environment steps in that epoch
        items = session.kept[-1].get("steps", 0) - (session.kept[-2].get("steps", 0) if last > 1 else 0)
    return {"study": study, "arm": config["arm"], "amp": amp, "unit": unit, "items": int(items),
            "seconds": seconds, "items_per_s": items / seconds if seconds > 0 else math.nan,
            "epochs": len(session.history)}


def resnet50_step(device: torch.device, batch: int, amp: bool, steps: int) -> float:
    """Images/s of a plain torchvision ResNet-50 training step (random weights, 224x224,
    channels-last, SGD), with bf16 autocast or in float32."""
    import torchvision
    model = torchvision.models.resnet50(weights=None).to(device, memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, 3, 224, 224, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,), device=device)
    ctx = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if amp else torch.enable_grad

    def step():
        with ctx():
            loss = torch.nn.functional.cross_entropy(model(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    for _ in range(2):  # warm-up: cuDNN's kernel search, allocator
        step()
    synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(device)
    return batch * steps / (time.perf_counter() - start)


def run_all(device: torch.device, size: Size, amps: tuple[str, ...], resnet_batch: int, resnet_steps: int,
            studies: list[str], extra_arms: bool = True, keep_going: bool = False) -> dict:
    torch.backends.cudnn.benchmark = device.type == "cuda"
    rows = []
    for study in studies:
        for arm in [None, *(EXTRA_ARMS.get(study, []) if extra_arms else [])]:
            for amp in amps:
                start = time.perf_counter()
                try:
                    row = time_study(study, arm, device, amp, size)
                except Exception as err:  # noqa: BLE001 - one failing study must not cost the others' figures
                    if not keep_going:
                        raise
                    row = {"study": study, "arm": arm or ARM.get(study, "(first)"), "amp": amp, "unit": "",
                           "items": 0, "seconds": math.nan, "items_per_s": math.nan, "epochs": 0,
                           "error": f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"}
                row["wall_s"] = time.perf_counter() - start
                rows.append(row)
                print(f"  {study} {row['arm']} amp={amp}: {row['items_per_s']:.1f} {row['unit']}/s "
                      f"({row['wall_s']:.1f} s){' ' + row['error'] if 'error' in row else ''}",
                      file=sys.stderr, flush=True)
    resnet = {"batch": resnet_batch, "steps": resnet_steps,
              "fp32_images_per_s": resnet50_step(device, resnet_batch, False, resnet_steps)}
    if "bf16" in amps:  # (bf16 on a CPU is emulated: slow, and not what is measured here)
        resnet["bf16_images_per_s"] = resnet50_step(device, resnet_batch, True, resnet_steps)
    return {"rows": rows, "resnet50": resnet}


# ---------------------------------------------------------------- several trials on one GPU

# the studies whose full-profile models are small enough that one trial leaves the GPU mostly
# idle (kernel launches, Python, the data loop): the ones worth running several to a GPU, with
# their full training sets (images per epoch), for the GPU-hours estimate
LAUNCH_BOUND = {"lr_sweep": 50_000, "regularization": 45_000, "autoencoder_structure": 60_000,
                "denoising_loss": 60_000, "vae_gan": 60_000, "colorization": 50_000}


def _one_trial(args) -> dict:
    study, device, amp, size = args
    return time_study(study, None, torch.device(device), amp, size)


def shared(study: str, device: torch.device, amp: str, size: Size, n: int) -> dict:
    """`n` copies of the study's trial at once, each in its own process on the same device (as Ray
    places n trials with gpus-per-trial 1/n): the items per second they make together."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context
    with ProcessPoolExecutor(n, mp_context=get_context("spawn")) as pool:
        rows = list(pool.map(_one_trial, [(study, str(device), amp, size)] * n))
    return {"study": study, "trials": n, "items_per_s": sum(r["items_per_s"] for r in rows),
            "unit": rows[0]["unit"]}


def full_profile_hours(study: str, best_items_per_s: float) -> float:
    """GPU-hours of the study's full profile at that rate: every trial of its grid run to its last
    epoch (an upper bound: ASHA stops some early) over its full training set."""
    import math as _math
    space = registry.load(study).space("full", "grid")
    trials = len(space.arms) * space.seeds * _math.prod(len(nu.grid) for nu in space.nuisance.values())
    return trials * space.max_epochs * LAUNCH_BOUND[study] / best_items_per_s / 3600


def share_table(rows: list[dict], hours: dict) -> str:
    counts = sorted({r["trials"] for r in rows})
    lines = ["| study | " + " | ".join(f"{n} trial{'s' * (n > 1)}: items/s (x vs 1)" for n in counts)
             + " | full profile, GPU-hours (upper bound) |", "|" + " --- |" * (len(counts) + 2)]
    for study in dict.fromkeys(r["study"] for r in rows):
        by = {r["trials"]: r["items_per_s"] for r in rows if r["study"] == study}
        cells = [f"{by[n]:,.0f} ({by[n] / by[counts[0]]:.2f}x)" if n in by else "" for n in counts]
        lines.append(f"| {study} | " + " | ".join(cells) + f" | {hours.get(study, float('nan')):.2f} |")
    return "\n".join(lines)


def table(result: dict, amps: tuple[str, ...]) -> str:
    by = {}
    for r in result["rows"]:
        by.setdefault((r["study"], r["arm"]), {})[r["amp"]] = r
    head = "| study | arm | unit | " + " | ".join(f"{u}/s amp={a}" for a in amps for u in ["items"]) + " | speed-up |"
    lines = [head, "|" + " --- |" * (4 + len(amps))]
    for (study, arm), r in by.items():
        speeds = [r[a]["items_per_s"] for a in amps if a in r]
        ratio = f"{speeds[-1] / speeds[0]:.2f}x" if len(speeds) > 1 and speeds[0] > 0 else ""
        unit = next((x["unit"] for x in r.values() if x["unit"]), "")
        cells = [f"{x['items_per_s']:,.0f}" if "error" not in x else f"failed: {x['error']}" for x in r.values()]
        lines.append(f"| {study} | {arm} | {unit} | " + " | ".join(cells) + f" | {ratio} |")
    rn = result["resnet50"]
    lines.append(f"| ResNet-50 step (reference, 224x224, batch {rn['batch']}) | - | images | "
                 f"{rn['fp32_images_per_s']:,.0f} | " + (f"{rn['bf16_images_per_s']:,.0f} | "
                 f"{rn['bf16_images_per_s'] / rn['fp32_images_per_s']:.2f}x |" if len(amps) > 1 else "|"))
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python benchmarks/gpu.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--cpu-check", action="store_true",
                   help="no GPU needed: the same code path on the CPU with tiny sizes (the test runs this)")
    p.add_argument("--studies", default=",".join(registry.STUDIES), help="comma-separated subset")
    p.add_argument("--resnet-batch", type=int, default=256, help="the reference step's batch size")
    p.add_argument("--share", help="trials sharing the device at once, for the launch-bound studies "
                                   "(default 1,2,4,8; the CPU check: 1,2 for the first of them; empty: skip)")
    args = p.parse_args(argv)
    studies = [s for s in args.studies.split(",") if s]
    unknown = [s for s in studies if s not in registry.STUDIES]
    if unknown:
        print(f"unknown study {', '.join(unknown)}; known: {', '.join(registry.STUDIES)}", file=sys.stderr)
        return 2
    if args.cpu_check:
        device, size, amps, batch, steps = torch.device("cpu"), CPU_CHECK, ("off",), 2, 1
    elif not torch.cuda.is_available():
        print("benchmarks/gpu.py: no CUDA device on this machine; nothing measured "
              "(--cpu-check runs the code path on the CPU)")
        return 0
    else:
        device, size, amps, batch, steps = torch.device("cuda"), GPU, ("off", "bf16"), args.resnet_batch, 20
    start = time.perf_counter()
    # the CPU check leaves out the extra arms (ResNet-50 fine-tuning: half a minute on a small CPU)
    # on the GPU a failing study is recorded (its error in the table) and the others go on
    result = run_all(device, size, amps, batch, steps, studies, extra_arms=not args.cpu_check,
                     keep_going=not args.cpu_check)
    share = args.share if args.share is not None else ("1,2" if args.cpu_check else "1,2,4,8")
    counts = [int(x) for x in share.split(",") if x.strip()]
    bound = [s for s in studies if s in LAUNCH_BOUND][:1 if args.cpu_check else None]
    share_rows = [shared(study, device, amps[-1], size, n) for study in bound for n in counts]
    best = {r["study"]: max(x["items_per_s"] for x in share_rows if x["study"] == r["study"]) for r in share_rows}
    result.update(share=share_rows, full_profile_gpu_hours={s: full_profile_hours(s, v) for s, v in best.items()})
    from trainables.device import device_label
    result.update(device=device_label(device), torch=torch.__version__, wall_s=time.perf_counter() - start,
                  sizes=size.__dict__, bench_settings=BENCH_SET, stand_in="random data in the real shapes")
    print(f"## GPU readiness: {result['device']}, torch {torch.__version__}\n")
    print("Items per second over the second epoch of each study's full-profile model (evaluation "
          "included), on random data in the real shapes; amp=bf16 is the CUDA default (`amp=auto`).\n")
    print(table(result, amps))
    if share_rows:
        print(f"\nSeveral trials at once on one {result['device']} (amp={amps[-1]}): the items per second "
              "they make together, and the full profile's GPU-hours at the best of them (every trial to "
              "its last epoch over the full training set: an upper bound, ASHA stops some early).\n")
        print(share_table(share_rows, result["full_profile_gpu_hours"]))
    print(f"\nsettings changed for the benchmark only: {json.dumps(BENCH_SET)}")
    print(f"total wall time: {result['wall_s']:.1f} s")
    if os.environ.get("OUT"):
        out = Path(os.environ["OUT"]) / "gpu.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1, default=str))
        print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
