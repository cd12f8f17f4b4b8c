"""The "data" of the RL study: which gymnasium environments (bundled, offline), what success
and the default return threshold mean in each, and how an episode's environment is made."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from trainables.data.cache import DataError

# per environment: the default return threshold of "episodes to threshold", and what a success is
ENVS = {
    "FrozenLake-v1": {"threshold": 0.3, "success": "reward"},      # reached the goal (reward 1)
    "Taxi-v4": {"threshold": 0.0, "success": "terminated"},        # passenger dropped off
    "CliffWalking-v1": {"threshold": -30.0, "success": "terminated", "max_steps": 200},  # at goal
    "CartPole-v1": {"threshold": 100.0, "success": 195.0},         # the classic "solved" return
}


@dataclass
class Envs:
    """The "data" of an RL study: which environments, from which gymnasium; `.info` for tables."""
    names: dict[str, str]              # agent -> environment id
    stand_in_for: str = "unnamed environment (Section 6 names none)"
    extra: dict = field(default_factory=dict)

    @property
    def info(self) -> dict:
        import gymnasium
        specs = {}
        for agent, name in sorted(self.names.items()):
            spec = gymnasium.spec(name)
            specs[agent] = {"id": name, "kwargs": spec.kwargs, "max_episode_steps": spec.max_episode_steps}
        text = json.dumps({"gymnasium": gymnasium.__version__, **specs}, sort_keys=True, default=str)
        label = " + ".join(f"{name} ({'DQN' if agent == 'dqn' else 'tabular Q-learning'})"
                           for agent, name in sorted(self.names.items(), key=lambda kv: kv[0] != "q"))
        return {"name": label, "source": f"gymnasium {gymnasium.__version__} (bundled environments, offline)",
                "stand_in_for": self.stand_in_for, "sha256_16": hashlib.sha256(text.encode()).hexdigest()[:16],
                "environments": specs, **self.extra}


def load_envs(config: dict) -> Envs:
    """Check that the configured environments exist (no download: gymnasium bundles them)."""
    import gymnasium
    names = {"q": config.get("env", "FrozenLake-v1"), "dqn": config.get("dqn_env", "CartPole-v1")}
    for agent, name in names.items():
        try:
            gymnasium.spec(name)
        except gymnasium.error.Error as err:
            raise DataError(f"environment {name!r} ({agent}): {err}; bundled ones include "
                            f"{', '.join(ENVS)}") from None
    return Envs(names)


def make_env(name: str, max_steps: int = 0):
    import gymnasium
    cap = max_steps or ENVS.get(name, {}).get("max_steps")
    return gymnasium.make(name, max_episode_steps=cap) if cap else gymnasium.make(name)
