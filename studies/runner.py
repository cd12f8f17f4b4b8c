"""The study runner every study script uses: its command line, the Tuner it builds, and the
outputs it leaves. A study script only names its trainable, space, data and metric."""
from __future__ import annotations

import argparse
import ast
import difflib
import functools
import os
import re
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

from search_spaces.space import PROFILES, Space
from studies import console, contract, values
from trainables.data.cache import DataError


@dataclass(frozen=True)
class Study:
    name: str
    train: Callable                       # train_x(config, session, data), runs without Ray
    space: Callable[[str, str], Space]    # (profile, search) -> Space
    load_data: Callable[[dict], Any]      # fixed config -> trainables.data.Data (or alike)
    metric: str = "val_acc"               # what ASHA and "best nuisance setting" go by
    mode: str = "max"
    # the --set list that shrinks the full profile to a test's size (tests/test_full_path.py, which
    # also fixes --seeds 1): 2 epochs unless the study's models or data need more cut
    test_shrink: tuple = ("epochs=2",)


class UsageError(Exception):
    """Bad input from the command line; printed as one line, exit status 2."""


# ---------------------------------------------------------------- command line

def _number(kind, strict: bool, what: str):
    """An argparse type: `kind` (int, float), > 0 when `strict`, else >= 0."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < 0 or (strict and value == 0):
            raise argparse.ArgumentTypeError(f"must be {'>' if strict else '>='} 0, got {text!r}")
        return value
    return parse


def _positive(kind):
    return _number(kind, True, f"a {kind.__name__}")


def _name(text):
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.=-]*", text):
        raise argparse.ArgumentTypeError(f"{text!r}: use letters, digits, '_', '-', '.', '='")
    if len(text) > 100:  # a folder name, under every file system's 255-byte limit with Ray's suffixes
        raise argparse.ArgumentTypeError(f"at most 100 characters, got {len(text)}")
    return text


def _key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key.strip(), value.strip()


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def _help_epilog(study: Study) -> str:
    """Arms, --set keys with their default per profile, outputs and examples, for --help."""
    try:
        spaces = {prof: study.space(prof, "grid") for prof in PROFILES}
    except Exception as err:  # a profile that cannot be built here still leaves a usable --help
        return f"(search space unavailable: {err})"
    local = spaces["local"]
    lines = ["arms (what the study compares):"]
    lines += [f"  {name:<22} {settings or '(the baseline settings)'}" for name, settings in local.arms.items()]
    lines += ["", "--set keys (default per profile: smoke | local | full; nuisance settings are tuned "
                  "per arm unless set):"]
    keys = {k for sp in spaces.values() for k in sp.settable()}
    for key in sorted(keys):
        vals = []
        for sp in spaces.values():
            v = sp.nuisance[key].grid if key in sp.nuisance else sp.fixed.get(key, "-")
            vals.append(str(v))
        lines.append(f"  {key:<22} {' | '.join(vals)}{'  (tuned)' if key in local.nuisance else ''}")
    lines += ["", f"outputs (under <storage-path>/<name>/): trials.parquet, history.parquet, table.md, "
                  f"table.csv, findings.md, figures/*.png, manifest.json, TensorBoard events per trial"
                  f"{', optuna.db with --search optuna'}", "",
              "examples:", f"  python studies/{study.name}.py --profile smoke",
              f"  python studies/{study.name}.py --seeds 5 --set epochs={2 * local.max_epochs} "
              f"--name {study.name}_long    # local profile, 5 seeds, twice the epochs"]
    return "\n".join(lines)


def parse_args(study: Study, argv=None, prog: str | None = None) -> argparse.Namespace:
    p = _Parser(prog=prog or f"studies/{study.name}.py", formatter_class=argparse.RawDescriptionHelpFormatter,
                description=f"Run the {study.name} study as a Ray Tune experiment.", epilog=_help_epilog(study))
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
    p.add_argument("--gpus-per-trial", type=_number(float, False, "a number"), default=0.0,
                   help="fractions share a GPU, e.g. 0.5 (default 0)")
    p.add_argument("--address", help="Ray cluster address (default: $RAY_ADDRESS, else a local Ray)")
    p.add_argument("--storage-path",
                   help="local path, NFS path or bucket URI (s3://, gs://) (default: "
                        "$TUNESTUDIES_STORAGE_PATH/<profile>, else ./results/<profile>, where `make report` "
                        "and `tunestudies report` look)")
    p.add_argument("--name", type=_name, default=study.name, help=f"experiment name (default {study.name})")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of this name, errored trials included")
    p.add_argument("--optuna-storage", metavar="URL",
                   help="with --search optuna: where the per-arm Optuna studies are kept, any Optuna "
                        "storage URL (default sqlite:///<results>/<name>/optuna.db)")
    p.add_argument("--until-settled", type=_positive(int), nargs="?", const=10, metavar="MAX_SEEDS",
                   help="then add seeds, in rounds, to the arms of inconclusive findings until every "
                        "finding settles or MAX_SEEDS seeds (default 10); local or NFS storage only")
    p.add_argument("--rounds", type=_number(int, False, "an integer"), metavar="N",
                   help="with --until-settled: at most N added rounds in this call (0: the first round "
                        "only, judged at the levels of every round MAX_SEEDS allows, so later rounds keep "
                        "the error rates; `make report BUDGET=...` runs its rounds this way)")
    p.add_argument("--more", action="store_true",
                   help="with --until-settled: add the next rounds to the complete study of this name")
    p.add_argument("--set", dest="overrides", type=_key_value, action="append", default=[],
                   metavar="KEY=VALUE", help="override a search-space entry; repeatable")
    talk = p.add_mutually_exclusive_group()
    talk.add_argument("-v", "--verbose", action="store_true",
                      help="Ray's own trial tables, worker logs and warnings as well")
    talk.add_argument("-q", "--quiet", action="store_true", help="print only the summary at the end")
    args = p.parse_args(argv)
    if args.storage_path is None:
        args.storage_path = default_storage(args.profile)
    return args


def default_storage(profile: str) -> str:
    """Where a profile's studies live unless told: one layout for the studies and the report."""
    return f"{(os.environ.get('TUNESTUDIES_STORAGE_PATH') or './results').rstrip('/')}/{profile}"


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
        if current is None:  # a setting with no default value (e.g. max_train): a literal, else text
            try:
                return ast.literal_eval(text)
            except (ValueError, SyntaxError):
                return text
        return text
    except (ValueError, SyntaxError):
        raise UsageError(f"--set {key}={text}: expected a {type(current).__name__} "
                         f"like {current!r}") from None


def build_space(study: Study, args) -> Space:
    space = study.space(args.profile, args.search)
    # any setting the trainable accepts (fault injection included), typed as the space has it
    settable = {**contract.accepted(study.train), **space.settable()}
    for key, text in args.overrides:
        if key in contract.SET_BY_RUNNER:
            raise UsageError(f"--set {key}: set by the runner; use {contract.SET_BY_RUNNER[key]}")
        if key not in settable:
            near = difflib.get_close_matches(key, sorted(settable), n=1)
            raise UsageError(f"--set {key}: unknown key" + (f" (did you mean {near[0]!r}?)" if near else "")
                             + f"; known: {', '.join(sorted(settable))}")
        value = _typed(key, text, settable[key])
        why = next(filter(None, map(partial(values.problem, key), value if isinstance(value, list) else [value])),
                   None)
        if why:
            raise UsageError(f"--set {key}={text}: {why}")
        space.override(key, value)
    if args.seeds:
        space.seeds = args.seeds
    if args.num_samples:
        space.num_samples = args.num_samples
    space.fixed["profile"] = args.profile
    return space


URI_SCHEMES = ("s3", "gs", "gcs", "hdfs", "abfs", "abfss")  # the remote file systems pyarrow (so Ray) knows


def storage_location(path: str) -> tuple[str, bool]:
    """(what Ray is given, whether it is a local or NFS path). A file:// URI goes to Ray as a URI
    (the bucket code path, on this machine), its folder checked for writing like a local path."""
    if "://" in path:
        scheme, rest = path.split("://", 1)
        if scheme == "file":
            from urllib.parse import unquote
            writable(os.path.abspath(unquote(rest) or "/"))
            return path, False
        if scheme not in URI_SCHEMES:
            raise UsageError(f"--storage-path {path}: unknown scheme {scheme}://; use a local path, "
                             f"file:// or one of {', '.join(s + '://' for s in URI_SCHEMES)}")
        return path, False
    return os.path.abspath(os.path.expanduser(path)), True


def remote_holds(uri: str, given: str) -> bool:
    """Whether a bucket path exists, or a UsageError naming the `given` --storage-path if the
    bucket cannot be reached."""
    from analysis import storage as remote
    try:
        return remote.exists(uri)
    except Exception as err:  # OSError, ArrowInvalid: no network, no such bucket, no credentials
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:160]
        raise UsageError(f"--storage-path {given}: cannot be reached ({first})") from None


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
            "seed": tune.grid_search(space.seed_ids()),
            **{k: tune.grid_search(list(n.grid)) for k, n in space.nuisance.items()}}


def search_alg(study: Study, space: Space, search: str, storage_url: str | None = None):
    if search != "optuna":
        return None
    if not space.nuisance:
        raise UsageError("--search optuna: this study has no nuisance setting left to search")
    from ray.tune.search.optuna import OptunaSearch

    from studies.per_arm import PerArmSearcher
    dists = {k: n.dist.to_tune() for k, n in space.nuisance.items()}

    def inner(arm: dict, seed: int):
        # one Optuna study per (arm, seed), kept in an RDB so optuna-dashboard can open it and
        # --resume continues it; the objective carries the study's metric name
        rdb = None
        if storage_url:
            import optuna
            rdb = optuna.storages.RDBStorage(storage_url)
        searcher = OptunaSearch(space=dict(dists), metric=study.metric, mode=study.mode, seed=len(dists),
                                study_name=f"{study.name}/{arm['name']}/seed{seed}", storage=rdb)
        searcher._ot_study.set_metric_names([study.metric])
        return searcher
    return PerArmSearcher(space.fixed, space.arm_dicts(), space.seed_ids(), space.num_samples, inner)


def scheduler(space: Space, kind: str):
    from ray.tune.schedulers import FIFOScheduler

    from studies.per_arm import PerArmASHA
    if kind == "fifo":
        return FIFOScheduler()
    return PerArmASHA("epoch", space.grace_epochs, tuple(space.nuisance))


def rung_epochs(space: Space) -> list[int]:
    """The epochs at which the per-arm scheduler may stop a trial: its one selection rung
    (studies/per_arm.py), which every trial reaches."""
    return [min(max(1, space.grace_epochs), space.max_epochs)]


@dataclass(frozen=True)
class Bookkeeping:
    """Tune's own work around the trials. Each default is a lever measured side by side by
    `python -m benchmarks levers` (benchmarks/RESULTS.md)."""
    checkpoint_at_rungs: bool = True  # checkpoint at ASHA's rung epochs and the last epoch...
    checkpoint_s: float = 60.0        # ...and after this many seconds of training (0: every epoch)
    keep: int | None = 2              # checkpoints kept per trial (None: all)
    reuse_actors: bool = True         # a new worker per trial costs seconds (process, torch import)
    prewarm: bool = False             # import the trainable in idle workers before the first trials


def trial_dirname(trial, nuisance=()) -> str:
    """The trial's folder, also its TensorBoard run name: arm, nuisance setting, seed, id (the
    setting before the seed: TensorBoard's run list cuts long names at the end)."""
    from studies.per_arm import group_of
    arm, seed = group_of(trial.config)
    setting = "".join(f"_{k}={trial.config[k]:.3g}" if isinstance(trial.config.get(k), float)
                      else f"_{k}={trial.config[k]}" for k in nuisance if k in trial.config)
    return re.sub(r"[^A-Za-z0-9_.=-]", "_", f"{arm}{setting}_seed{seed}_{trial.trial_id}")[:200]


def make_tuner(study: Study, space: Space, args, data, storage: str, callbacks=None,
               bookkeeping: Bookkeeping = Bookkeeping()):
    from ray import tune

    from trainables.tune_session import as_tune_trainable, prewarm

    callbacks = list(callbacks or []) + console.callbacks(study, space, args)
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
    searcher = search_alg(study, space, args.search, getattr(args, "optuna_storage", None))
    samples = (len(space.arms) * len(space.seed_ids()) * space.num_samples) if searcher else (args.num_samples or 1)
    return tune.Tuner(
        trainable,
        param_space=param_space(space, args.search),
        tune_config=tune.TuneConfig(
            metric=study.metric, mode=study.mode, scheduler=scheduler(space, args.scheduler),
            search_alg=searcher, num_samples=samples, max_concurrent_trials=args.max_concurrent,
            trial_dirname_creator=functools.partial(trial_dirname, nuisance=tuple(space.nuisance)),
            reuse_actors=book.reuse_actors),
        run_config=tune.RunConfig(
            name=args.name, storage_path=storage, verbose=2 if args.verbose else 0, callbacks=callbacks,
            checkpoint_config=tune.CheckpointConfig(num_to_keep=book.keep),
            # a crashed trial restarts from its last checkpoint; one that keeps failing errors out
            failure_config=tune.FailureConfig(max_failures=2)),
    )


def reachable(address: str, timeout: float = 3.0) -> None:
    """A host:port address answers a TCP connection within `timeout`, or a UsageError now (Ray
    itself would retry for a minute, printing only its own warnings)."""
    import socket
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # "auto", ray://... and other forms: Ray's own checks
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        raise UsageError(f"--address {address}: nothing answers there ({err.strerror or err})") from None


def connect(address: str | None, verbose: bool = False) -> None:
    import ray
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        reachable(address)
    if ray.is_initialized():
        return
    if not address:
        os.environ.pop("RAY_ADDRESS", None)  # an empty RAY_ADDRESS means a local Ray, as no variable
    try:
        # workers' own output (checkpoint chatter, tracebacks the console already summarises)
        # reaches the terminal only with -v
        ray.init(address=address, logging_level="WARNING" if verbose else "ERROR",
                 include_dashboard=False, log_to_driver=verbose)
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


def same_space(space: Space, manifest_path: Path, flag: str = "--resume") -> None:
    """--resume (or --more) continues the stored study as it was; other settings would mix two studies."""
    import json
    if not manifest_path.exists():
        return
    try:
        stored = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"{flag}: {manifest_path} is damaged ({err}); nothing was changed") from None
    if not isinstance(stored, dict):
        raise UsageError(f"{flag}: {manifest_path} is not a study's manifest; nothing was changed")
    now = json.loads(json.dumps({"arms": space.arms, "fixed": space.fixed, "seeds": list(range(space.seeds)),
                                 "nuisance": {k: {"grid": n.grid} for k, n in space.nuisance.items()}},
                                default=str))
    was = {"arms": stored.get("arms"), "fixed": stored.get("fixed"),
           "seeds": stored.get("initial_seeds", stored.get("seeds")),  # before --until-settled added any
           "nuisance": {k: {"grid": v.get("grid")} for k, v in (stored.get("nuisance") or {}).items()}}
    changed = sorted({f"{part} {key}" for part in now for key in set(now[part] or {}) | set(was[part] or {})
                      if isinstance(now[part], dict) and (now[part] or {}).get(key) != (was[part] or {}).get(key)}
                     | ({"seeds"} if now["seeds"] != was["seeds"] else set()))
    if changed:
        raise UsageError(f"{flag}: {manifest_path.parent} was run with another search space "
                         f"(differs in: {', '.join(changed)}); resume it with its own options, "
                         f"or start a new study with --name")


def more_rounds(args, space: Space, out_dir: Path, holds_study: bool) -> None:
    """--more: the study of this name must be complete, on local storage, and run with
    --until-settled (its levels already allow the rounds); args.until_settled is set from it."""
    from analysis.study_result import state
    if args.resume:
        raise UsageError("--more and --resume: resume the interrupted round first, then add rounds")
    if not holds_study or state(out_dir) != "complete":
        raise UsageError(f"--more: no complete study at {out_dir} to add rounds to (local or NFS storage)")
    from analysis import manifest
    try:
        stored = (manifest.read(out_dir).get("args") or {}).get("until_settled")
    except (OSError, ValueError) as err:
        raise UsageError(f"--more: {err}; nothing was changed") from None
    if not stored:
        raise UsageError(f"--more: {out_dir} was run without --until-settled, so its verdicts were judged "
                         f"for one look only; start a new study with --until-settled and --name")
    if args.until_settled not in (None, stored):
        raise UsageError(f"--more --until-settled {args.until_settled}: {out_dir} was judged for "
                         f"--until-settled {stored}; a new limit would change its levels")
    same_space(space, out_dir / "manifest.json", "--more")
    args.until_settled = stored


# ---------------------------------------------------------------- the run

def run(study: Study, argv=None, callbacks=None, prog: str | None = None,
        bookkeeping: Bookkeeping = Bookkeeping()) -> Path:
    """Run a study; `callbacks` (Tune callbacks) let benchmarks time it from inside, and
    `bookkeeping` lets them compare Tune settings."""
    args = parse_args(study, argv, prog)
    space = build_space(study, args)
    contract.check(study, space)  # before any data is read or Ray starts: a mistake costs a second

    from analysis import build, manifest
    from analysis import storage as remote

    storage, local = storage_location(args.storage_path)
    exp_path = f"{storage.rstrip('/')}/{args.name}"
    out_dir = Path(exp_path) if local else Path("results") / args.name
    # what needs no network first, then the storage itself
    if args.until_settled and not local:
        raise UsageError("--until-settled: needs a local or NFS --storage-path (rounds rebuild the "
                         "findings from the trial folders)")
    if args.until_settled and args.until_settled < space.seeds:
        raise UsageError(f"--until-settled {args.until_settled}: below the {space.seeds} seeds every "
                         f"arm already gets")
    if args.rounds is not None and not (args.until_settled or args.more):
        raise UsageError("--rounds: only with --until-settled (or --more)")
    if local:
        writable(storage)
    holds_study = (Path(exp_path, "tuner.pkl").exists() if local
                   else remote_holds(f"{exp_path}/tuner.pkl", args.storage_path))
    if args.resume and not holds_study:
        raise UsageError(f"--resume: no interrupted study to continue at {exp_path}")
    if args.more:
        more_rounds(args, space, out_dir, holds_study and local)
    if args.resume:
        same_space(space, out_dir / "manifest.json")
    if not (args.resume or args.more) and holds_study:
        raise UsageError(f"{exp_path} already holds a study: pass --resume to continue it, "
                         f"or --name for a new one")
    if not args.quiet:  # within a second of launch: what is starting (data, baselines and Ray take a while)
        from studies.progress import fit
        total = console.expected_trials(space, args)
        print(fit(f"{study.name} ({args.profile}): {len(space.arms)} arms x {len(space.seed_ids())} seeds, "
                  f"{total} trials of up to {space.max_epochs} epochs; loading data, then Ray -> {out_dir}"),
              flush=True)
    data = study.load_data(space.fixed)
    from analysis.baselines import record
    from analysis.report import spec_for
    baselines = record(spec_for(study.name), data, space.fixed, space.arms)  # once, in the driver; cached
    console.quiet_ray(args.verbose)
    connect(args.address, args.verbose)
    check_resources(args)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.search == "optuna" and not args.optuna_storage:
        args.optuna_storage = f"sqlite:///{out_dir.resolve()}/optuna.db"
    started = time.time()
    if args.more:  # the stored manifest keeps its first round's arguments, seeds and rounds
        paths = build.from_parquet(out_dir)
    else:
        manifest.write(out_dir, study=study.name, argv=sys.argv if argv is None else argv, args=vars(args),
                       space=space, data=data.info, metric=study.metric, mode=study.mode,
                       directions=contract.directions(study), baselines=baselines,
                       arm_defaults={k: study.train.defaults[k] for a in space.arms.values() for k in a
                                     if k in study.train.defaults})
        make_tuner(study, space, args, data, storage, callbacks, bookkeeping).fit()
        if not local:  # outputs are built from a local copy of the bucket, then pushed beside it
            remote.pull(exp_path, out_dir)
        paths = build.from_experiment(out_dir)
        from analysis.study_result import ROUND_MARK
        (out_dir / ROUND_MARK).unlink(missing_ok=True)  # a resumed round of --until-settled is done
    if args.until_settled:
        from studies.settle import until_settled
        fresh = argparse.Namespace(**{**vars(args), "resume": False})  # each round: new trials
        paths = until_settled(lambda sp: make_tuner(study, sp, fresh, data, storage, callbacks, bookkeeping).fit(),
                              space, paths, args.until_settled, args.rounds)
    console.record_wall(out_dir, started, time.time(), args.resume or args.more)
    from studies.tb_logger import write_hparams
    write_hparams(out_dir, paths.result.trials, study.metric, list(space.nuisance),
                  sorted({k for a in space.arms.values() for k in a}))
    if not local:
        remote.push(out_dir, exp_path, [*paths.listing(), *out_dir.glob("*/events.out.tfevents.*.hparams")])
    console.summary(paths, out_dir)
    return out_dir


def main(study: Study, argv=None, prog: str | None = None) -> Path:
    prog = prog or f"studies/{study.name}.py"
    try:
        return run(study, argv, prog=prog)
    except contract.ContractError as err:
        for line in err.lines:
            print(f"{prog}: error: {line}", file=sys.stderr)
        sys.exit(2)
    except (UsageError, DataError) as err:
        from analysis.manifest import redact
        print(f"{prog}: error: {redact(str(err))}", file=sys.stderr)
        sys.exit(2 if isinstance(err, UsageError) else 1)
