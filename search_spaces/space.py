"""What a study's search space is made of, independent of any one study."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

PROFILES = ("smoke", "local", "full")


@dataclass(frozen=True)
class LogUniform:
    """A log-uniform range for --search optuna; plain data, so search spaces (and the model code
    that reads them, e.g. benchmarks/gpu.py on a machine without Ray) never import Ray."""
    lower: float
    upper: float

    def to_tune(self):
        from ray import tune
        return tune.loguniform(self.lower, self.upper)

    def __str__(self) -> str:
        return f"float loguniform({self.lower!r}, {self.upper!r})"


@dataclass(frozen=True)
class Nuisance:
    """A setting tuned inside each arm: `grid` values for --search grid, `dist` (a Tune
    range such as LogUniform) for --search optuna."""
    grid: list
    dist: Any


@dataclass
class Space:
    arms: dict[str, dict]                 # arm name -> settings that define it
    fixed: dict[str, Any]                 # every trial's shared settings (epochs, data, ...)
    nuisance: dict[str, Nuisance] = field(default_factory=dict)
    seeds: int = 1                        # replicates of each arm: seeds first_seed .. seeds - 1
    first_seed: int = 0                   # > 0 in a round of --until-settled (the seeds it adds)
    num_samples: int = 1                  # Optuna samples per arm and seed
    grace_epochs: int = 1                 # the rung where each (arm, seed) group chooses its setting

    @property
    def max_epochs(self) -> int:
        return int(self.fixed["epochs"])

    def seed_ids(self) -> list[int]:
        return list(range(self.first_seed, self.seeds))

    def arm_dicts(self) -> list[dict]:
        return [{"name": name, **settings} for name, settings in self.arms.items()]

    def settable(self) -> dict[str, Any]:
        """Entries `--set key=value` may override, with the value whose type it must match."""
        keys = dict(self.fixed)
        keys.update({k: n.grid[0] for k, n in self.nuisance.items()})
        return keys

    def override(self, key: str, value: Any) -> None:
        """Fix a setting for every trial (a nuisance setting set here is no longer tuned).
        Fewer epochs than ASHA's first rung lower the rung to the last epoch (ASHA needs
        grace <= max_t), and say so in one line."""
        self.nuisance.pop(key, None)
        self.fixed[key] = value
        if key == "epochs" and 1 <= int(value) < self.grace_epochs:
            print(f"--set epochs={value}: below ASHA's first rung ({self.grace_epochs} epochs), "
                  f"so the first rung is lowered to epoch {value}", file=sys.stderr)
            self.grace_epochs = int(value)


def pick(profile: str, **by_profile):
    """`pick(profile, smoke=.., local=.., full=..)`: one value per profile."""
    return by_profile[profile]
