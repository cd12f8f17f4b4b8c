"""`make report BUDGET=30m`: the most settled report a budget buys.

Every study's first round runs, cheapest first by the last measured cost (the profile's seeds, judged at the levels of every round
--until-settled MAX_SEEDS allows, so that looking again keeps the error rates: Bonferroni over the
looks planned, analysis/verdicts.py `looks_of`). Then the rest of the budget goes in rounds, one
study's round at a time per free place, to the study whose next round settles the most open
findings per second of compute:

- the round: studies/settle.py `next_round` (seeds doubled, up to MAX_SEEDS), restricted to the
  arms of the open findings that more seeds can settle;
- what it settles: for each open finding, the chance that its interval, at the new seed count,
  leaves the band where it stays inconclusive, taking the present effect as the truth and the
  spread as known (`settle_chance`); a finding held open by a flag is given no chance (seeds do
  not lift a flag);
- what it costs: each arm's measured trial seconds per seed (trials.parquet), times the seeds
  added.

A round, or a first round, starts only while its predicted wall time fits in what is left (a
first round's from the last measured cost; one never measured always may); the report stops when
nothing more fits (the budget is spent) or no open finding has a chance (nothing more can settle),
and says which. The budget and the rounds are kept in <storage>/budget.json, so the same command
goes on where an interrupted one stopped."""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from analysis.settling import open_findings
from studies.settle import next_round

BUDGET_FILE = "budget.json"
# the last `make bench` (python -m benchmarks studies): each study's trial seconds in a profile, a
# prior used only to order the first rounds, cheapest first (a study it does not know goes last)
COST_PRIOR = Path(__file__).resolve().parent.parent / "benchmarks" / "results.json"
MAX_SEEDS = 10            # as --until-settled's default
MIN_EXPECTED = 0.05       # a round expected to settle fewer findings than this is not worth its start
UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600}


def prior_costs(profile: str, prior: Path = COST_PRIOR) -> dict[str, float]:
    """Each study's trial seconds in `prior`'s whole-report run of `profile` (none: {})."""
    try:
        run = json.loads(Path(prior).read_text())["studies"]["value"]
        return {r["study"]: float(r["in_trial_s"]) for r in run["rows"]
                if run.get("profile") == profile and r.get("in_trial_s") is not None}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def cheapest_first(names, profile: str, prior: Path = COST_PRIOR) -> list[str]:
    """`names` ordered by their trial seconds in `prior`'s whole-report run of `profile`, so that
    under a budget the first rounds that settle something soonest come first."""
    cost = prior_costs(profile, prior)
    return sorted(names, key=lambda n: (n not in cost, cost.get(n, 0.0)))


def parse_budget(text: str) -> tuple[float, str | None]:
    """'30m', '90s', '1.5h' -> (seconds of wall time, None); '8gpu-h', '16cpu-h' -> (resource-seconds,
    'GPU' or 'CPU'), turned into wall time once the cluster's size is known. ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|m|min|h|cpu-h|gpu-h)\s*", str(text).lower())
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"budget {text!r}: expected a positive time like 30m, 90s or 1.5h, "
                         f"or resource-hours like 8gpu-h or 16cpu-h")
    amount, unit = float(m.group(1)), m.group(2)
    if unit.endswith("-h"):
        return amount * 3600, unit[:3].upper()
    return amount * UNITS[unit], None


@dataclass(frozen=True)
class Round:
    study: str
    arms: tuple
    seeds_from: int
    seeds_to: int
    expected_settled: float       # sum of the open findings' settle chances
    cost_s: float                 # predicted trial seconds (slot-seconds)
    open_claims: tuple            # the open findings it is for

    @property
    def value(self) -> float:
        return self.expected_settled / max(self.cost_s, 1e-9)


def plan(result, max_seeds: int = MAX_SEEDS) -> Round | None:
    """The next round of a stored study (analysis.study_result.StudyResult), or None when no open
    finding has a chance or its arms are at max_seeds."""
    arms = list(result.manifest["arms"])
    have = int(result.trials["seed"].max()) + 1
    step = next_round(result.findings, arms, have, max_seeds)
    if step is None:
        return None
    todo, after = step
    _, chances = open_findings(result.findings, arms, after)  # the chances behind that plan (cheap)
    t = result.trials
    per_seed = t.groupby("arm")["wall_s"].sum() / t.groupby("arm")["seed"].nunique()  # trial-s per seed
    return Round(result.study, tuple(todo), have, after, sum(p for _, p in chances),
                 float(per_seed[list(todo)].sum()) * (after - have), tuple(f.claim for f, _ in chances))


def choose(rounds: list[Round], left_s: float, slots: float, overhead: dict | None = None) -> Round | None:
    """The round of most findings settled per second among those expected to settle at least
    MIN_EXPECTED findings and whose predicted wall time (its trial seconds over the slots, plus
    what the study's last process spent outside its trials) fits in `left_s`."""
    overhead = overhead or {}
    fits = [r for r in rounds if r.expected_settled >= MIN_EXPECTED
            and r.cost_s / max(slots, 1) + overhead.get(r.study, 0.0) <= left_s]
    return max(fits, key=lambda r: (r.value, r.study), default=None)


# ---------------------------------------------------------------- the record

@dataclass
class Ledger:
    """<storage>/budget.json: the budget, what was spent, and every round with its plan."""
    path: Path
    budget_s: float
    spent_s: float = 0.0
    rounds: list = None
    stopped: str = ""

    @classmethod
    def open(cls, storage: Path, budget_s: float) -> Ledger:
        path = Path(storage) / BUDGET_FILE
        if path.exists():
            try:
                stored = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as err:
                raise ValueError(f"{path} is damaged ({err}); move it away to start the budget again") from None
            return cls(path, budget_s, float(stored.get("spent_s", 0.0)), list(stored.get("rounds") or []))
        return cls(path, budget_s, 0.0, [])

    def add(self, r: Round, took_s: float, outcome: str) -> None:
        self.rounds.append({**asdict(r), "took_s": round(took_s, 1), "outcome": outcome})
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"budget_s": self.budget_s, "spent_s": round(self.spent_s, 1),
                                         "stopped": self.stopped, "rounds": self.rounds}, indent=1, default=str))


# ---------------------------------------------------------------- the budgeted run

class Plans:
    """Each stored study's next round, re-planned only when its results change."""

    def __init__(self, storage: Path, max_seeds: int):
        self.storage, self.max_seeds, self.cache = Path(storage), max_seeds, {}

    def next(self, name: str) -> Round | None:
        from analysis.study_result import StudyResult, state
        folder = self.storage / name
        if state(folder) != "complete":
            return None
        key = (folder / "trials.parquet").stat().st_mtime_ns
        if self.cache.get(name, (None,))[0] != key:
            result = StudyResult.load(folder)
            ours = (result.manifest.get("args") or {}).get("until_settled") == self.max_seeds
            self.cache[name] = (key, plan(result, self.max_seeds) if ours else None)
        return self.cache[name][1]


def run_budget(storage: Path, profile: str, studies, budget: str, study_opts=(), log=print,
               resume: bool = False, address: str | None = None, parallel: int | None = None,
               max_seeds: int = MAX_SEEDS) -> dict:
    """Every study's first round, then rounds by expected findings settled per second, within
    `budget` (parse_budget); returns name -> studies.report.Outcome."""
    from studies.side_by_side import Outcome, Run, ended_outcome, in_trial_seconds, report_usage, runnable
    storage = Path(storage)
    amount, resource = parse_budget(budget)
    first = ["--until-settled", str(max_seeds), "--rounds", "0"]
    todo, outcome = runnable(storage, cheapest_first(studies, profile), resume, log)
    ledger = Ledger.open(storage, amount)
    plans, rounds_in_flight, blocked = Plans(storage, max_seeds), {}, False
    overhead, trial_s = {}, {}  # per study: seconds its last process spent outside trials; trial-s at its start
    prior = prior_costs(profile)

    def first_fits(name, left_s):
        """A first round starts while its predicted wall time (its last measured trial seconds over
        the slots, plus the median time a process here spent outside its trials) fits; one with no
        measured cost always may."""
        if name not in prior:
            return left_s > 0
        outside = sorted(overhead.values())[len(overhead) // 2] if overhead else 0.0
        return prior[name] / max(run.slots, 1) + outside <= left_s

    def start(name, extra, what):
        trial_s[name] = in_trial_seconds(storage, [name])
        run.start(name, extra, what)

    with Run(storage, profile, study_opts, address, parallel, studies, log) as run:
        run.ensure()
        wall_budget = amount / run.count(resource) if resource else amount
        t0, spent0 = time.monotonic(), ledger.spent_s
        left = lambda: wall_budget - spent0 - (time.monotonic() - t0)
        log(f"budget: {budget} = {wall_budget:.0f} s of wall time on {run.slots:g} slots"
            + (f" ({spent0:.0f} s spent before)" if spent0 else ""))
        while True:
            while not run.side.full and left() > 0:
                fitting = [t for t in todo if first_fits(t[0], left())]
                if fitting:
                    todo.remove(fitting[0])
                    name, extra = fitting[0]
                    start(name, extra + first, "resuming" if extra else "first round")
                    continue
                # a first round that does not fit now never will (what is left only shrinks): rounds go on
                candidates = [r for n in studies if n not in run.side.running and (r := plans.next(n))]
                chosen = choose(candidates, left(), run.slots, overhead)
                blocked = any(r.expected_settled >= MIN_EXPECTED for r in candidates) and chosen is None
                if chosen is None:
                    break
                start(chosen.study, ["--more", "--rounds", "1"],
                      f"round: seeds {chosen.seeds_from}-{chosen.seeds_to - 1} for {', '.join(chosen.arms)} "
                      f"({chosen.expected_settled:.2f} findings expected to settle, ~{chosen.cost_s:.0f} "
                      f"trial-s)")
                rounds_in_flight[chosen.study] = chosen
            if not run.side.running:
                break
            e = run.side.wait()
            ledger.spent_s = spent0 + time.monotonic() - t0
            inside = in_trial_seconds(storage, [e.name]) - trial_s.pop(e.name, 0.0)
            overhead[e.name] = max(0.0, e.seconds - inside / max(run.slots, 1))
            done = ended_outcome(e, log)
            if e.name in rounds_in_flight:
                ledger.add(rounds_in_flight.pop(e.name), e.seconds, done.text)
                had = outcome.get(e.name)
                took = (had.seconds or 0) + e.seconds if had else e.seconds
                rounds = sum(r["study"] == e.name for r in ledger.rounds)
                outcome[e.name] = Outcome(f"{'failed in a round: ' + e.reason if e.returncode else 'ran'} "
                                          f"(first round and {rounds} more) in {took:.0f} s", took)
            else:
                outcome[e.name] = done
            ledger.save()
        for name, _ in todo:
            log(f"{name}: not run: its first round would not fit in the budget left")
            outcome[name] = Outcome("not run: its first round would not fit in the budget left")
        ledger.spent_s = spent0 + time.monotonic() - t0
        ledger.stopped = ("budget spent" if todo or blocked or left() <= 0
                          else f"nothing more can settle: no round is expected to settle {MIN_EXPECTED} findings "
                               f"(open findings held by a flag, with no spread yet, or at {max_seeds} seeds)")
        ledger.save()
        log(f"budget: stopped after {ledger.spent_s:.0f} s of {wall_budget:.0f} s: {ledger.stopped}; "
            f"{len(ledger.rounds)} rounds after the first")
        report_usage(storage, run.usage(), log, budget=budget, budget_wall_s=round(wall_budget, 1),
                     stopped=ledger.stopped, rounds=len(ledger.rounds))
    return outcome
