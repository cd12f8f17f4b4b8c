"""Reinforcement learning of the report's Section 6 (Figures 8, 9) and appendix 7.6: tabular
Q-learning and a DQN agent, each choosing actions epsilon-greedily (epsilon decays) or by a
softmax (Boltzmann) over its Q-values at a temperature.

`train_rl(config, session, data)` runs without Ray. One "epoch" is a block of episodes: the
loop reports the block's mean return, success rate, epsilon or temperature, and statistics of
the learning curve so far (area under it, roughness, episodes to a return threshold).
"""
from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from trainables.data.envs import ENVS, load_envs, make_env
from trainables.loop import Run, step, trainable

DEFAULTS = {
    "agent": "q",                  # "q": tabular Q-learning; "dqn": the DQN agent
    "policy": "eps_greedy",        # or "softmax"
    "env": "FrozenLake-v1",        # the tabular agent's environment (Taxi-v4, CliffWalking-v1)
    "dqn_env": "CartPole-v1",      # the DQN agent's environment
    "epochs": 20,                  # blocks of episodes
    "episodes_per_block": 100, "dqn_episodes_per_block": 10,
    "threshold": "auto", "dqn_threshold": "auto",   # return a block must reach ("auto": per env)
    "max_steps": 0,                # tabular episode step cap (0: the environment's own limit)
    "dqn_max_steps": 200,          # DQN episode step cap (CartPole-v0's 200 keeps CPU runs short)
    "gamma": 0.99,
    "lr_scale": 1.0,               # the nuisance setting: multiplies alpha (Q) or dqn_lr (DQN)
    "alpha": 0.1,                  # tabular step size
    # epsilon-greedy: epsilon per episode, "exp": max(eps_min, eps_start * eps_decay**episode),
    # "linear": eps_start -> eps_min over eps_decay_episodes, "constant": eps_start
    "eps_schedule": "exp", "eps_start": 1.0, "eps_min": 0.01, "eps_decay": 0.997,
    "eps_decay_episodes": 1000,
    "dqn_eps_decay": 0.95,         # the DQN agent's per-episode decay (it runs far fewer episodes)
    # softmax: temperature per episode max(temperature_min, temperature * temperature_decay**episode)
    "temperature": 0.05, "temperature_decay": 1.0, "temperature_min": 0.01,
    "dqn_temperature": 0.05,
    # "fixed": dqn_temperature is in Q units; "action_gap": it is a multiple of the running mean
    # action gap (max - min Q over the actions, EMA over the states visited while learning), so it
    # follows the Q-values' scale as they grow (CartPole's reach ~100 at gamma 0.99); "matched": the
    # same gap scaling, and the multiple follows the eps-greedy arm's schedule (see matched_temperature)
    "dqn_temperature_scale": "fixed",
    "eval_episodes": 0, "dqn_eval_episodes": 0,   # greedy episodes after each block (0: none)
    "dqn_lr": 1e-3, "dqn_hidden": 64, "dqn_batch": 64, "dqn_buffer": 10_000, "dqn_warmup": 200,
    "dqn_train_every": 2, "dqn_target_every": 100,   # steps per update; updates per target sync
}

# ---------------------------------------------------------------- action selection

def softmax_probs(q_values, temperature: float) -> np.ndarray:
    """Boltzmann probabilities exp(Q/T) / sum exp(Q/T), computed stably."""
    q = np.asarray(q_values, dtype=np.float64)
    z = (q - q.max()) / float(temperature)
    p = np.exp(z)
    return p / p.sum()


def epsilon_at(episode: int, start: float, minimum: float, decay: float, schedule: str = "exp",
               decay_episodes: int = 1000) -> float:
    """Epsilon for the `episode`-th episode (0-based) under the configured schedule."""
    if schedule == "exp":
        return max(minimum, start * decay ** episode)
    if schedule == "linear":
        return start + (minimum - start) * min(1.0, episode / max(1, decay_episodes))
    if schedule == "constant":
        return start
    raise ValueError(f"eps_schedule {schedule!r}: use exp, linear or constant")


def matched_temperature(eps: float, n_actions: int = 2) -> float:
    """The temperature, in units of the action gap, at which softmax over two Q-values that far
    apart takes the worse action as often as epsilon-greedy does (eps / n_actions * (n_actions - 1)
    of the time): p = 1 / (1 + e^(1/T)) -> T = 1 / ln(1/p - 1). Uniform (a huge T) at eps = 1."""
    p = min(eps * (n_actions - 1) / n_actions, 0.5)
    return 1e6 if p >= 0.5 else 1.0 / math.log(1.0 / p - 1.0)


def temperature_at(episode: int, temperature: float, decay: float = 1.0, minimum: float = 0.01) -> float:
    if decay == 1.0:
        return temperature
    return max(minimum, temperature * decay ** episode)


def greedy(q_values, rng: np.random.Generator) -> int:
    """argmax with random tie-breaking (an all-zero Q table must not always pick action 0)."""
    q = np.asarray(q_values)
    best = np.flatnonzero(q == q.max())
    return int(best[0] if len(best) == 1 else best[rng.integers(len(best))])


def select_action(q_values, policy: str, explore: float, rng: np.random.Generator) -> int:
    """`explore` is epsilon for "eps_greedy", the temperature for "softmax"; 0 means greedy."""
    if policy == "eps_greedy":
        if rng.random() < explore:
            return int(rng.integers(len(q_values)))
        return greedy(q_values, rng)
    if policy == "softmax":
        if explore <= 0:
            return greedy(q_values, rng)
        cdf = np.cumsum(softmax_probs(q_values, explore))
        return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), len(cdf) - 1))
    raise ValueError(f"policy {policy!r}: use eps_greedy or softmax")


# ---------------------------------------------------------------- agents

class QTable:
    """Tabular Q-learning: Q(s,a) += alpha * (r + gamma * max_a' Q(s',a') - Q(s,a))."""

    def __init__(self, n_states: int, n_actions: int, alpha: float, gamma: float):
        self.q = np.zeros((n_states, n_actions))
        self.alpha, self.gamma = alpha, gamma

    def values(self, state) -> np.ndarray:
        return self.q[state]

    def update(self, s, a, r, s2, terminated: bool) -> float:
        target = r if terminated else r + self.gamma * self.q[s2].max()
        error = target - self.q[s, a]
        self.q[s, a] += self.alpha * error
        return error * error

    def state_dict(self) -> dict:
        return {"q": self.q.copy()}

    def load_state_dict(self, state: dict) -> None:
        self.q = np.array(state["q"])


class QNet(nn.Module):
    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, n_actions))

    def forward(self, x):
        return self.net(x)


class Replay:
    """A ring buffer of transitions (s, a, r, s', terminated), held as tensors on the agent's
    device, so a sampled batch needs no copy to the GPU."""

    FIELDS = ("s", "s2", "a", "r", "done")

    def __init__(self, capacity: int, obs_dim: int, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.s = torch.zeros((capacity, obs_dim), dtype=torch.float32, device=device)
        self.s2 = torch.zeros((capacity, obs_dim), dtype=torch.float32, device=device)
        self.a = torch.zeros(capacity, dtype=torch.int64, device=device)
        self.r = torch.zeros(capacity, dtype=torch.float32, device=device)
        self.done = torch.zeros(capacity, dtype=torch.float32, device=device)
        self.size = self.pos = 0

    def add(self, s, a, r, s2, terminated) -> None:
        i = self.pos
        self.s[i] = torch.as_tensor(np.asarray(s, np.float32))
        self.s2[i] = torch.as_tensor(np.asarray(s2, np.float32))
        self.a[i], self.r[i], self.done[i] = int(a), float(r), float(terminated)
        self.pos = (i + 1) % len(self.a)
        self.size = min(self.size + 1, len(self.a))

    def sample(self, n: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        idx = torch.from_numpy(rng.integers(self.size, size=n)).to(self.device)
        return {k: getattr(self, k)[idx] for k in self.FIELDS}

    def state_dict(self) -> dict:
        return {**{k: getattr(self, k).clone() for k in self.FIELDS}, "size": self.size, "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        for k in self.FIELDS:
            getattr(self, k).copy_(state[k])
        self.size, self.pos = int(state["size"]), int(state["pos"])


class DQN:
    """An online Q-network trained on replayed transitions towards r + gamma * max_a' Q_target(s', a')
    (appendix 7.6: the target is the maximum Q-value predicted for next_state), with a target
    network that is a copy of the online one, synced every `target_every` updates."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int, lr: float, gamma: float,
                 device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.online = QNet(obs_dim, n_actions, hidden).to(device)
        self.target = copy.deepcopy(self.online)
        self.target.requires_grad_(False)
        self.opt = torch.optim.Adam(self.online.parameters(), lr=lr)
        self.gamma = gamma

    def values(self, obs) -> np.ndarray:
        with torch.no_grad():
            obs = torch.as_tensor(np.asarray(obs, np.float32), device=self.device)
            return self.online(obs.unsqueeze(0))[0].cpu().numpy()

    def td_target(self, batch: dict) -> torch.Tensor:
        with torch.no_grad():
            next_max = self.target(batch["s2"]).max(dim=1).values
        return batch["r"] + self.gamma * (1.0 - batch["done"]) * next_max

    def loss(self, batch: dict) -> torch.Tensor:
        q = self.online(batch["s"]).gather(1, batch["a"].unsqueeze(1)).squeeze(1)
        return F.smooth_l1_loss(q, self.td_target(batch))

    def update(self, batch: dict) -> float:
        loss = self.loss(batch)
        step(self.opt, loss)
        return float(loss.item())

    def sync(self) -> None:
        self.target.load_state_dict(self.online.state_dict())

    def state_dict(self) -> dict:
        return {"online": self.online.state_dict(), "target": self.target.state_dict(),
                "optimizer": self.opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.online.load_state_dict(state["online"])
        self.target.load_state_dict(state["target"])
        self.opt.load_state_dict(state["optimizer"])


# ---------------------------------------------------------------- environments

def is_success(env_name: str, ret: float, last_reward: float, terminated: bool) -> bool:
    rule = ENVS.get(env_name, {}).get("success", "terminated")
    if rule == "reward":
        return terminated and last_reward > 0
    if rule == "terminated":
        return bool(terminated)
    return ret >= float(rule)


def threshold_for(env_name: str, setting) -> float:
    if setting in (None, "", "auto"):
        return float(ENVS.get(env_name, {}).get("threshold", 0.0))
    return float(setting)


# ---------------------------------------------------------------- the learning curve

def curve_stats(block_returns, threshold: float, episodes_per_block: int, final: bool) -> dict:
    """Statistics of the curve of block mean returns so far.

    auc: mean return over all blocks (the area under the learning curve per episode);
    roughness: mean absolute block-to-block change of the return (lower is smoother);
    episodes_to_threshold: episodes until a block's mean return first reached `threshold`
    (the episodes run so far when none did: censored; threshold_reached says which);
    at the last block, early_return (mean over the first third of blocks) and late_gain
    (mean of the last third minus mean of the middle third: about 0 on a plateau)."""
    r = np.asarray(block_returns, dtype=float)
    hit = np.flatnonzero(r >= threshold)
    out = {"auc": float(r.mean()),
           "roughness": float(np.abs(np.diff(r)).mean()) if len(r) > 1 else 0.0,
           "episodes_to_threshold": float((hit[0] + 1 if len(hit) else len(r)) * episodes_per_block),
           "threshold_reached": float(len(hit) > 0)}
    if final:
        third = max(1, len(r) // 3)
        middle = r[third:len(r) - third]
        out["early_return"] = float(r[:third].mean())
        out["late_gain"] = float(r[len(r) - third:].mean() - (middle.mean() if len(middle) else r[:third].mean()))
    return out


# ---------------------------------------------------------------- the loop

def run_episode(env, agent, config, policy, explore, rng, reset_seed, learn, counters):
    """One episode; returns (return, steps, success, mean TD loss or nan)."""
    s, _ = env.reset(seed=reset_seed)
    ret, steps, losses, r = 0.0, 0, [], 0.0
    dqn = isinstance(agent, DQN)
    scaled = learn and dqn and policy == "softmax" and config["dqn_temperature_scale"] != "fixed"
    while True:
        q = agent.values(s)
        if scaled:
            counters["gap"] = gap_ema(counters["gap"], q)
        a = select_action(q, policy, explore * counters["gap"] if scaled else explore, rng)
        s2, r, terminated, truncated, _ = env.step(a)
        ret += r
        steps += 1
        if learn:
            if dqn:
                counters["buffer"].add(s, a, r, s2, terminated)
                counters["steps"] += 1
                if counters["buffer"].size >= max(config["dqn_warmup"], config["dqn_batch"]) and \
                        counters["steps"] % config["dqn_train_every"] == 0:
                    losses.append(agent.update(counters["buffer"].sample(config["dqn_batch"], rng)))
                    counters["updates"] += 1
                    if counters["updates"] % config["dqn_target_every"] == 0:
                        agent.sync()
            else:
                losses.append(agent.update(s, a, r, s2, terminated))
        s = s2
        if terminated or truncated:
            break
    success = is_success(counters["env"], ret, r, terminated)
    return ret, steps, success, (float(np.mean(losses)) if losses else math.nan)


def gap_ema(gap: float | None, q_values, rate: float = 0.01) -> float:
    """The running mean action gap (max - min Q at a state), started at the first state's gap."""
    now = float(np.ptp(q_values))
    return now if gap is None else (1 - rate) * gap + rate * now


def build_agent(config: dict, env, device: torch.device | str = "cpu"):
    if config["agent"] == "q":
        return QTable(env.observation_space.n, env.action_space.n,
                      config["alpha"] * config["lr_scale"], config["gamma"])
    if config["agent"] == "dqn":
        torch.manual_seed(config["seed"])
        return DQN(int(np.prod(env.observation_space.shape)), env.action_space.n, config["dqn_hidden"],
                   config["dqn_lr"] * config["lr_scale"], config["gamma"], device)
    raise ValueError(f"agent {config['agent']!r}: use q or dqn")


def exploration(config: dict, episode: int) -> float:
    dqn = config["agent"] == "dqn"
    if config["policy"] == "softmax" and dqn and config["dqn_temperature_scale"] == "matched":
        # explores as often as the eps-greedy arm at each episode, only by Boltzmann, not uniformly
        eps = epsilon_at(episode, config["eps_start"], config["eps_min"], config["dqn_eps_decay"],
                         config["eps_schedule"], config["eps_decay_episodes"])
        return config["dqn_temperature"] * matched_temperature(eps)
    if config["policy"] == "softmax":
        return temperature_at(episode, config["dqn_temperature" if dqn else "temperature"],
                              config["temperature_decay"], config["temperature_min"])
    return epsilon_at(episode, config["eps_start"], config["eps_min"],
                      config["dqn_eps_decay" if dqn else "eps_decay"], config["eps_schedule"],
                      config["eps_decay_episodes"])


@trainable(DEFAULTS, load_envs)
def train_rl(run: Run) -> None:
    config, rng = run.config, run.rng
    dqn = config["agent"] == "dqn"
    env_name = config["dqn_env" if dqn else "env"]
    per_block = int(config["dqn_episodes_per_block" if dqn else "episodes_per_block"])
    threshold = threshold_for(env_name, config["dqn_threshold" if dqn else "threshold"])
    env = make_env(env_name, config["dqn_max_steps" if dqn else "max_steps"])
    agent = build_agent(config, env, run.device)
    run.track(agent=agent)
    counters = {"env": env_name, "steps": run.saved("steps", 0), "updates": run.saved("updates", 0), "buffer": None,
                "gap": run.saved("gap")}
    if config["dqn_temperature_scale"] not in ("fixed", "action_gap", "matched"):
        raise ValueError(f"dqn_temperature_scale {config['dqn_temperature_scale']!r}: use fixed, action_gap "
                         "or matched")
    if dqn:
        counters["buffer"] = Replay(config["dqn_buffer"], int(np.prod(env.observation_space.shape)), run.device)
        run.track(buffer=counters["buffer"])
    returns = list(run.saved("returns", []))
    greedy = list(run.saved("greedy", []))   # the greedy policy's return after each block
    for epoch in run.epochs():
        start = time.perf_counter()
        rets, succ, lens, losses = [], [], [], []
        for i in range(per_block):
            episode = (epoch - 1) * per_block + i
            explore = exploration(config, episode)
            ret, steps, ok, loss = run_episode(env, agent, config, config["policy"], explore, rng,
                                               config["seed"] * 1_000_003 + episode, True, counters)
            rets.append(ret)
            succ.append(ok)
            lens.append(steps)
            losses.append(loss)
        returns.append(float(np.mean(rets)))
        metrics = {"episodes": epoch * per_block, "mean_return": returns[-1],
                   "success_rate": float(np.mean(succ)), "episode_length": float(np.mean(lens)),
                   ("temperature" if config["policy"] == "softmax" else "epsilon"): explore,
                   **curve_stats(returns, threshold, per_block, final=run.last)}
        if counters["gap"] is not None:  # the temperature in Q units at the block's end, and its scale
            metrics.update(temperature=explore * counters["gap"], action_gap=counters["gap"])
        if not np.isnan(losses).all():  # mean squared TD error (tabular) or Huber loss (DQN);
            metrics["td_loss"] = float(np.nanmean(losses))  # none while the replay buffer warms up
        n_eval = int(config["dqn_eval_episodes" if dqn else "eval_episodes"])
        if n_eval:  # the greedy policy (no exploration, no learning) on fixed episode seeds
            eval_rng = np.random.default_rng([config["seed"], epoch])
            metrics["greedy_return"] = float(np.mean([
                run_episode(env, agent, config, "eps_greedy", 0.0, eval_rng, 2**31 - 1 - k, False, counters)[0]
                for k in range(n_eval)]))
            # convergence speed as the greedy policy shows it (issue 13): the exploring policy's
            # return also pays for its exploration, which differs between the arms compared
            greedy.append(metrics["greedy_return"])
            g = curve_stats(greedy, threshold, per_block, final=False)
            metrics.update(greedy_auc=g["auc"], greedy_episodes_to_threshold=g["episodes_to_threshold"],
                           greedy_threshold_reached=g["threshold_reached"])
        metrics["block_s"] = time.perf_counter() - start
        run.report(metrics, finite=(metrics["mean_return"], metrics.get("td_loss", 0.0)),
                   keep={"returns": returns, "greedy": greedy, "gap": counters["gap"], "steps": counters["steps"], "updates": counters["updates"]})
    env.close()


# The direction of every metric this trainable reports (the study contract, studies/contract.py)
train_rl.metrics = {
    "mean_return": "max", "greedy_return": "max", "success_rate": "max", "auc": "max",
    "greedy_auc": "max", "greedy_episodes_to_threshold": "min", "greedy_threshold_reached": "max",
    "early_return": "max", "late_gain": "max", "threshold_reached": "max",
    "episodes_to_threshold": "min", "roughness": "min", "td_loss": "min", "block_s": "min",
    "episodes": "max", "episode_length": "max",
    # the exploration schedule's value in that block, not a score
    "epsilon": "min", "temperature": "min", "action_gap": "max"}
