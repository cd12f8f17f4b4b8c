"""The study runner every study script uses: its command line, the Tuner it builds, and the
outputs it leaves. A study script only names its trainable, space, data and metric."""
from __future__ import annotations

import argparse
import ast
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from search_spaces.space import PROFILES, Space
from trainables.cache import DataError


@dataclass(frozen=True)
class Study:
    name: str
    train: Callable                       # train_x(config, session, data), runs without Ray
    space: Callable[[str, str], Space]    # (profile, search) -> Space
    load_data: Callable[[dict], Any]      # fixed config -> trainables.images.Data (or alike)
    metric: str = "val_acc"               # what ASHA and "best nuisance setting" go by
    mode: str = "max"


class UsageError(Exception):
    """Bad input from the command line; printed as one line, exit status 2."""


# ---------------------------------------------------------------- command line

def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
        return value
    return parse


def _non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def _name(text):
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.=-]*", text):
        raise argparse.ArgumentTypeError(f"{text!r}: use letters, digits, '_', '-', '.', '='")
    return text


def _key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key.strip(), value.strip()


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_args(study: Study, argv=None) -> argparse.Namespace:
    p = _Parser(prog=f"studies/{study.name}.py",
                description=f"Run the {study.name} study as a Ray Tune experiment.")
    p.add_argument("--profile", choices=PROFILES, default="local",
                   help="smoke: seconds (tests); local: minutes on a laptop CPU, embedded data; "
                        "full: the report's settings on a GPU cluster (default: local)")
    p.add_argument("--seeds", type=_positive(int), help="replicates of every arm (default: per profile)")
    p.add_argument("--num-samples", type=_positive(int),
                   help="Optuna samples per arm and seed; with grid search, repeats of the grid")
    p.add_argument("--scheduler", choices=("asha", "fifo"), default="asha",
                   help="asha prunes poor nuisance settings inside each arm (default); fifo runs all")
    p.add_argument("--search", choices=("grid", "optuna"), default="grid",
                   help="how nuisance settings are chosen (default: grid)")
    p.add_argument("--max-concurrent", type=_positive(int), help="trials running at once")
    p.add_argument("--cpus-per-trial", type=_positive(float), default=1.0)
    p.add_argument("--gpus-per-trial", type=_non_negative_float, default=0.0,
                   help="fractions share a GPU, e.g. 0.5 (default 0)")
    p.add_argument("--address", help="Ray cluster address (default: $RAY_ADDRESS, else a local Ray)")
    p.add_argument("--storage-path", default=os.environ.get("TUNESTUDIES_STORAGE_PATH") or "./results",
                   help="local path, NFS path or bucket URI (s3://, gs://) "
                        "(default $TUNESTUDIES_STORAGE_PATH, else ./results)")
    p.add_argument("--name", type=_name, default=study.name, help=f"experiment name (default {study.name})")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of this name, errored trials included")
    p.add_argument("--set", dest="overrides", type=_key_value, action="append", default=[],
                   metavar="KEY=VALUE", help="override a search-space entry; repeatable")
    return p.parse_args(argv)


def _typed(key: str, text: str, current: Any) -> Any:
    """`text` as the type of the entry it replaces, or a UsageError."""
    try:
        if isinstance(current, bool):
            if text.lower() not in ("true", "false", "1", "0"):
                raise ValueError
            return text.lower() in ("true", "1")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        if isinstance(current, (list, dict, tuple)):
            value = ast.literal_eval(text)
            if not isinstance(value, type(current)):
                raise ValueError
            return value
        return text
    except (ValueError, SyntaxError):
        raise UsageError(f"--set {key}={text}: expected a {type(current).__name__} "
                         f"like {current!r}") from None


def build_space(study: Study, args) -> Space:
    space = study.space(args.profile, args.search)
    settable = {**getattr(study.train, "faults", {}), **space.settable()}  # + fault injection
    for key, text in args.overrides:
        if key not in settable:
            raise UsageError(f"--set {key}: unknown key; known: {', '.join(sorted(settable))}")
        space.override(key, _typed(key, text, settable[key]))
    if args.seeds:
        space.seeds = args.seeds
    if args.num_samples:
        space.num_samples = args.num_samples
    space.fixed["profile"] = args.profile
    return space


def storage_location(path: str) -> tuple[str, bool]:
    """(what Ray is given, whether it is a local or NFS path)."""
    if "://" in path:
        return path, False
    return os.path.abspath(os.path.expanduser(path)), True


def writable(folder: str) -> None:
    """A local or NFS storage path that exists (or can be made) and can be written, or a UsageError."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        ok = os.access(folder, os.W_OK | os.X_OK)
    except OSError as err:
        raise UsageError(f"--storage-path {folder}: cannot be written ({err.strerror or err})") from None
    if not ok:
        raise UsageError(f"--storage-path {folder}: cannot be written (permission denied)")


# ---------------------------------------------------------------- the Tuner

def param_space(space: Space, search: str) -> dict | None:
    if search == "optuna":
        return None  # PerArmSearcher builds every config
    from ray import tune
    return {**space.fixed,
            "arm": tune.grid_search(space.arm_dicts()),
            "seed": tune.grid_search(list(range(space.seeds))),
            **{k: tune.grid_search(list(n.grid)) for k, n in space.nuisance.items()}}


def search_alg(study: Study, space: Space, search: str):
    if search != "optuna":
        return None
    if not space.nuisance:
        raise UsageError("--search optuna: this study has no nuisance setting left to search")
    from ray.tune.search.optuna import OptunaSearch
    from studies.per_arm import PerArmSearcher
    dists = {k: n.dist for k, n in space.nuisance.items()}
    return PerArmSearcher(space.fixed, space.arm_dicts(), list(range(space.seeds)), space.num_samples,
                          lambda: OptunaSearch(space=dict(dists), metric=study.metric, mode=study.mode,
                                               seed=len(dists)))


def scheduler(space: Space, kind: str):
    from ray.tune.schedulers import FIFOScheduler
    from studies.per_arm import PerArmASHA
    if kind == "fifo":
        return FIFOScheduler()
    return PerArmASHA("epoch", space.max_epochs, space.grace_epochs, space.reduction_factor)


def rung_epochs(space: Space) -> list[int]:
    """The epochs at which ASHA (Ray's formula, same Space settings) may stop a trial."""
    rungs, epoch = [], max(1, space.grace_epochs)
    while epoch <= space.max_epochs and space.reduction_factor > 1:
        rungs.append(epoch)
        epoch *= space.reduction_factor
    return rungs


@dataclass(frozen=True)
class Bookkeeping:
    """Tune's own work around the trials. Each default is a lever measured side by side by
    `python -m benchmarks levers` (benchmarks/RESULTS.md)."""
    checkpoint_at_rungs: bool = True  # checkpoint at ASHA's rung epochs and the last epoch...
    checkpoint_s: float = 60.0        # ...and after this many seconds of training (0: every epoch)
    keep: int | None = 2              # checkpoints kept per trial (None: all)
    reuse_actors: bool = True         # a new worker per trial costs seconds (process, torch import)
    prewarm: bool = False             # import the trainable in idle workers before the first trials


def trial_dirname(trial) -> str:
    from studies.per_arm import group_of
    arm, seed = group_of(trial.config)
    return re.sub(r"[^A-Za-z0-9_.=-]", "_", f"{arm}_seed{seed}_{trial.trial_id}")


def make_tuner(study: Study, space: Space, args, data, storage: str, callbacks=None,
               bookkeeping: Bookkeeping = Bookkeeping()):
    from ray import tune
    from trainables.tune_session import as_tune_trainable, prewarm

    book = bookkeeping
    train = as_tune_trainable(study.train, rung_epochs(space) if book.checkpoint_at_rungs else (),
                              book.checkpoint_s)
    trainable = tune.with_resources(
        tune.with_parameters(train, data=data),
        {"cpu": args.cpus_per_trial, "gpu": args.gpus_per_trial})
    if book.prewarm:
        import ray
        cpus = int(ray.cluster_resources().get("CPU", 0) // args.cpus_per_trial)
        prewarm(study.train, min(args.max_concurrent or cpus, cpus), args.cpus_per_trial)
    if args.resume:
        return tune.Tuner.restore(f"{storage.rstrip('/')}/{args.name}", trainable, resume_errored=True)
    searcher = search_alg(study, space, args.search)
    samples = (len(space.arms) * space.seeds * space.num_samples) if searcher else (args.num_samples or 1)
    return tune.Tuner(
        trainable,
        param_space=param_space(space, args.search),
        tune_config=tune.TuneConfig(
            metric=study.metric, mode=study.mode, scheduler=scheduler(space, args.scheduler),
            search_alg=searcher, num_samples=samples, max_concurrent_trials=args.max_concurrent,
            trial_dirname_creator=trial_dirname, reuse_actors=book.reuse_actors),
        run_config=tune.RunConfig(
            name=args.name, storage_path=storage, verbose=1, callbacks=callbacks,
            checkpoint_config=tune.CheckpointConfig(num_to_keep=book.keep),
            # a crashed trial restarts from its last checkpoint; one that keeps failing errors out
            failure_config=tune.FailureConfig(max_failures=2)),
    )


def connect(address: str | None) -> None:
    import ray
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if not address:
        os.environ.pop("RAY_ADDRESS", None)  # an empty RAY_ADDRESS means a local Ray, as no variable
    try:
        ray.init(address=address, logging_level="WARNING", include_dashboard=False)
    except ConnectionError as err:
        raise UsageError(f"--address {address}: no Ray cluster there ({err})") from None


def check_resources(args) -> None:
    """A trial that no node can hold would wait forever: refuse it now, unless the cluster adds
    nodes on demand (Tune's own test: the head of a `ray up` cluster has ~/ray_bootstrap_config.yaml)."""
    import ray
    if Path("~/ray_bootstrap_config.yaml").expanduser().exists():
        return
    nodes = [n["Resources"] for n in ray.nodes() if n.get("Alive")]
    for flag, key, asked in (("--cpus-per-trial", "CPU", args.cpus_per_trial),
                             ("--gpus-per-trial", "GPU", args.gpus_per_trial)):
        most = max((n.get(key, 0) for n in nodes), default=0)
        if asked > most:
            raise UsageError(f"{flag} {asked:g}: no node of this Ray cluster offers more than "
                             f"{most:g} {key}")


def same_space(space: Space, manifest_path: Path) -> None:
    """--resume continues the stored study as it was; other settings would mix two studies."""
    import json
    if not manifest_path.exists():
        return
    stored = json.loads(manifest_path.read_text())
    now = json.loads(json.dumps({"arms": space.arms, "fixed": space.fixed, "seeds": list(range(space.seeds)),
                                 "nuisance": {k: {"grid": n.grid} for k, n in space.nuisance.items()}},
                                default=str))
    was = {"arms": stored.get("arms"), "fixed": stored.get("fixed"), "seeds": stored.get("seeds"),
           "nuisance": {k: {"grid": v.get("grid")} for k, v in (stored.get("nuisance") or {}).items()}}
    changed = sorted({f"{part} {key}" for part in now for key in set(now[part] or {}) | set(was[part] or {})
                      if isinstance(now[part], dict) and (now[part] or {}).get(key) != (was[part] or {}).get(key)}
                     | ({"seeds"} if now["seeds"] != was["seeds"] else set()))
    if changed:
        raise UsageError(f"--resume: {manifest_path.parent} was run with another search space "
                         f"(differs in: {', '.join(changed)}); resume it with its own options, "
                         f"or start a new study with --name")


# ---------------------------------------------------------------- the run

def run(study: Study, argv=None, callbacks=None, bookkeeping: Bookkeeping = Bookkeeping()) -> Path:
    """Run a study; `callbacks` (Tune callbacks) let benchmarks time it from inside, and
    `bookkeeping` lets them compare Tune settings."""
    from analysis import build, manifest, storage as remote
    from ray import tune

    args = parse_args(study, argv)
    space = build_space(study, args)
    storage, local = storage_location(args.storage_path)
    exp_path = f"{storage.rstrip('/')}/{args.name}"
    out_dir = Path(exp_path) if local else Path("results") / args.name
    if args.resume and not tune.Tuner.can_restore(exp_path):
        raise UsageError(f"--resume: no interrupted study to continue at {exp_path}")
    if args.resume:
        same_space(space, out_dir / "manifest.json")
    if not args.resume and (Path(exp_path, "tuner.pkl").exists() if local
                            else remote.exists(f"{exp_path}/tuner.pkl")):
        raise UsageError(f"{exp_path} already holds a study: pass --resume to continue it, "
                         f"or --name for a new one")
    if local:
        writable(storage)
    data = study.load_data(space.fixed)
    connect(args.address)
    check_resources(args)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest.write(out_dir, study=study.name, argv=sys.argv if argv is None else argv, args=vars(args),
                   space=space, data=data.info, metric=study.metric, mode=study.mode)
    tuner = make_tuner(study, space, args, data, storage, callbacks, bookkeeping)
    tuner.fit()
    if not local:  # outputs are built from a local copy of the bucket, then pushed beside it
        remote.pull(exp_path, out_dir)
    paths = build.from_experiment(out_dir)
    if not local:
        remote.push(out_dir, exp_path, paths.listing())
    print(paths.table.read_text())
    print("outputs:", *(f"  {p}" for p in paths.listing()), sep="\n")
    print(f"tensorboard --logdir {out_dir}")
    return out_dir


def main(study: Study, argv=None) -> Path:
    try:
        return run(study, argv)
    except (UsageError, DataError) as err:
        print(f"studies/{study.name}.py: error: {err}", file=sys.stderr)
        sys.exit(2 if isinstance(err, UsageError) else 1)
