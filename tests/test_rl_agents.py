"""The RL model code without Ray: softmax and epsilon-greedy action selection, the epsilon
schedules, tabular Q-learning's update, the DQN's target network, curve statistics, resuming."""
import math
import shutil

import numpy as np
import pytest
import torch

from trainables.data.cache import DataError
from trainables.data.envs import load_envs
from trainables.rl import (
    DEFAULTS,
    DQN,
    QTable,
    Replay,
    curve_stats,
    epsilon_at,
    exploration,
    gap_ema,
    is_success,
    select_action,
    softmax_probs,
    temperature_at,
    train_rl,
)
from trainables.session import LocalSession, load_state


def test_softmax_probabilities_at_a_temperature():
    q = [1.0, 0.9, 0.5]
    # exp(Q/T) / sum exp(Q/T), worked out by hand at T = 0.05: exp(20), exp(18), exp(10)
    expected = np.exp([20.0, 18.0, 10.0]) / np.exp([20.0, 18.0, 10.0]).sum()
    assert softmax_probs(q, 0.05) == pytest.approx(expected)
    assert softmax_probs(q, 0.05)[0] == pytest.approx(1 / (1 + math.exp(-2) + math.exp(-10)))
    assert softmax_probs(q, 1.0) == pytest.approx(np.exp(q) / np.exp(q).sum())
    assert softmax_probs(q, 1e6) == pytest.approx([1 / 3] * 3, abs=1e-6)  # hot: uniform
    assert softmax_probs([0.0, 0.0, 0.0, 0.0], 0.05) == pytest.approx([0.25] * 4)
    assert np.isfinite(softmax_probs([1000.0, 0.0], 0.01)).all()  # no overflow


def test_softmax_sampling_follows_those_probabilities():
    rng = np.random.default_rng(0)
    q, temperature = [0.1, 0.15, 0.0], 0.05
    n = 20_000
    counts = np.bincount([select_action(q, "softmax", temperature, rng) for _ in range(n)], minlength=3)
    p = softmax_probs(q, temperature)
    assert counts / n == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n).max())


def test_epsilon_decays_as_configured():
    assert epsilon_at(0, 1.0, 0.01, 0.99) == 1.0
    assert epsilon_at(10, 1.0, 0.01, 0.99) == pytest.approx(0.99 ** 10)
    assert epsilon_at(1000, 1.0, 0.01, 0.99) == 0.01  # floor
    eps = [epsilon_at(k, 1.0, 0.05, 0.9) for k in range(100)]
    assert all(a >= b for a, b in zip(eps, eps[1:])) and eps[-1] == 0.05
    assert epsilon_at(50, 1.0, 0.1, 0, "linear", 100) == pytest.approx(0.55)
    assert epsilon_at(100, 1.0, 0.1, 0, "linear", 100) == pytest.approx(0.1)
    assert epsilon_at(500, 1.0, 0.1, 0, "linear", 100) == pytest.approx(0.1)
    assert epsilon_at(500, 0.2, 0.1, 0.5, "constant") == 0.2
    with pytest.raises(ValueError):
        epsilon_at(0, 1.0, 0.1, 0.9, "cosine")
    # the loop uses the configured schedule; DQN arms their own decay
    config = {**DEFAULTS, "eps_decay": 0.9, "dqn_eps_decay": 0.5}
    assert exploration(config, 3) == pytest.approx(0.9 ** 3)
    assert exploration({**config, "agent": "dqn"}, 3) == pytest.approx(0.5 ** 3)
    assert exploration({**config, "policy": "softmax"}, 3) == 0.05
    assert temperature_at(2, 1.0, 0.5, 0.1) == 0.25 and temperature_at(9, 1.0, 0.5, 0.1) == 0.1


def test_the_reported_epsilon_follows_the_schedule_during_training():
    config = {"agent": "q", "policy": "eps_greedy", "epochs": 3, "episodes_per_block": 10,
              "eps_decay": 0.8, "eps_min": 0.05}
    history = train_rl(config, LocalSession(threads=1)).history
    assert [h["epsilon"] for h in history] == pytest.approx([0.8 ** 9, 0.05, 0.05])
    soft = train_rl({**config, "policy": "softmax", "temperature": 0.3}, LocalSession(threads=1)).history
    assert [h["temperature"] for h in soft] == [0.3] * 3 and "epsilon" not in soft[0]


def test_epsilon_greedy_explores_at_rate_epsilon():
    rng = np.random.default_rng(1)
    q = [0.0, 1.0, 0.0, 0.0]
    picks = np.array([select_action(q, "eps_greedy", 0.2, rng) for _ in range(20_000)])
    assert (picks != 1).mean() == pytest.approx(0.2 * 3 / 4, abs=0.015)
    assert all(select_action(q, "eps_greedy", 0.0, rng) == 1 for _ in range(100))


def test_q_learning_update():
    table = QTable(3, 2, alpha=0.5, gamma=0.9)
    table.q[2] = [1.0, 2.0]
    table.update(0, 1, 1.0, 2, terminated=False)  # target 1 + 0.9 * 2 = 2.8
    assert table.q[0, 1] == pytest.approx(1.4)
    table.update(1, 0, 1.0, 2, terminated=True)   # terminal: no bootstrap, target 1
    assert table.q[1, 0] == pytest.approx(0.5)


def _batch(n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"s": torch.randn(n, 4, generator=g), "a": torch.randint(0, 2, (n,), generator=g),
            "r": torch.rand(n, generator=g), "s2": torch.randn(n, 4, generator=g),
            "done": torch.tensor([0.0, 1.0] * (n // 2))}


def test_the_dqn_target_is_the_target_networks_max_q_of_the_next_state():
    torch.manual_seed(0)
    agent = DQN(4, 2, 16, lr=1e-2, gamma=0.9)
    batch = _batch()
    with torch.no_grad():
        expected = batch["r"] + 0.9 * (1 - batch["done"]) * agent.target(batch["s2"]).max(1).values
    assert torch.allclose(agent.td_target(batch), expected)
    assert torch.equal(agent.td_target(batch)[1::2], batch["r"][1::2])  # terminal: r alone


def test_the_dqn_update_uses_the_target_network_not_the_online_one():
    torch.manual_seed(0)
    agent = DQN(4, 2, 16, lr=1e-2, gamma=0.9)
    batch = _batch()
    online_before = {k: v.clone() for k, v in agent.online.state_dict().items()}
    loss_before = agent.loss(batch).item()
    with torch.no_grad():  # change only the target network
        for p in agent.target.parameters():
            p.add_(0.5)
    assert all(torch.equal(v, online_before[k]) for k, v in agent.online.state_dict().items())
    assert agent.loss(batch).item() != pytest.approx(loss_before)  # the loss sees the change

    # the same update from the same online weights goes elsewhere with a different target network
    twin = DQN(4, 2, 16, lr=1e-2, gamma=0.9)
    twin.online.load_state_dict(online_before)
    twin.target.load_state_dict(online_before)
    agent.update(batch)
    twin.update(batch)
    moved = [not torch.allclose(a, b) for a, b in zip(agent.online.parameters(), twin.online.parameters())]
    assert any(moved)
    # the update moves only the online network, never the target one; sync copies it over
    target_now = {k: v.clone() for k, v in agent.target.state_dict().items()}
    agent.update(batch)
    assert all(torch.equal(v, target_now[k]) for k, v in agent.target.state_dict().items())
    assert all(p.grad is None for p in agent.target.parameters())
    agent.sync()
    assert all(torch.equal(a, b) for a, b in zip(agent.online.state_dict().values(),
                                                  agent.target.state_dict().values()))


def test_replay_buffer_is_a_ring():
    buf = Replay(3, 2)
    for i in range(5):
        buf.add([i, i], i % 2, float(i), [i + 1, i + 1], i == 4)
    assert buf.size == 3 and sorted(buf.r.tolist()) == [2.0, 3.0, 4.0]
    sample = buf.sample(10, np.random.default_rng(0))
    assert sample["s"].shape == (10, 2) and set(sample["r"].tolist()) <= {2.0, 3.0, 4.0}


def test_curve_statistics():
    stats = curve_stats([0.0, 0.2, 0.5, 0.4, 0.6, 0.6], threshold=0.45, episodes_per_block=10, final=True)
    assert stats["auc"] == pytest.approx(2.3 / 6)
    assert stats["roughness"] == pytest.approx((0.2 + 0.3 + 0.1 + 0.2 + 0.0) / 5)
    assert stats["episodes_to_threshold"] == 30 and stats["threshold_reached"] == 1.0
    assert stats["early_return"] == pytest.approx(0.1)               # first third: 0, 0.2
    assert stats["late_gain"] == pytest.approx(0.6 - 0.45)           # last third minus middle third
    never = curve_stats([0.0, 0.1], threshold=0.5, episodes_per_block=10, final=False)
    assert never["episodes_to_threshold"] == 20 and never["threshold_reached"] == 0.0  # censored
    assert "late_gain" not in never


def test_success_rules():
    assert is_success("FrozenLake-v1", 1.0, 1.0, True) and not is_success("FrozenLake-v1", 0.0, 0.0, True)
    assert is_success("Taxi-v4", -3.0, 20.0, True) and not is_success("Taxi-v4", -200.0, -1.0, False)
    assert is_success("CartPole-v1", 200.0, 1.0, False) and not is_success("CartPole-v1", 50.0, 1.0, True)


@pytest.mark.parametrize("env", ["Taxi-v4", "CliffWalking-v1"])
def test_other_tabular_environments_run(env):
    history = train_rl({"env": env, "epochs": 2, "episodes_per_block": 5, "eval_episodes": 1},
                       LocalSession(threads=1)).history
    assert [h["epoch"] for h in history] == [1, 2] and history[-1]["done_training"]
    assert all(np.isfinite(h["mean_return"]) and h["episode_length"] <= 200 for h in history)


def test_unknown_environment_is_a_data_error():
    with pytest.raises(DataError, match="FrozenLake-v1"):
        load_envs({"env": "NoSuchEnv-v0"})
    info = load_envs({}).info
    assert "FrozenLake-v1" in info["name"] and "CartPole-v1" in info["name"]
    assert info["source"].startswith("gymnasium 1.") and len(info["sha256_16"]) == 16


def test_tabular_q_learning_learns_frozen_lake():
    history = train_rl({"epochs": 8, "episodes_per_block": 150, "eps_decay": 0.995, "alpha": 0.3,
                        "eval_episodes": 50}, LocalSession(threads=1)).history
    assert history[0]["mean_return"] < 0.1          # random walk: rarely reaches the goal
    assert history[-1]["greedy_return"] > 0.4       # the learned greedy policy often does
    # convergence by the greedy policy: its curve's mean so far, and the episodes until it first
    # reached FrozenLake's threshold (0.3)
    greedy = [h["greedy_return"] for h in history]
    assert history[-1]["greedy_auc"] == pytest.approx(np.mean(greedy))
    first = next(i for i, g in enumerate(greedy) if g >= 0.3)
    assert history[-1]["greedy_episodes_to_threshold"] == (first + 1) * 150
    assert [h["greedy_threshold_reached"] for h in history] == [float(i >= first) for i in range(8)]


@pytest.mark.parametrize("agent", ["q", "dqn"])
def test_a_resumed_run_matches_an_unbroken_one(agent, tmp_path):
    config = {"agent": agent, "policy": "softmax", "epochs": 3, "episodes_per_block": 20,
              "dqn_episodes_per_block": 3, "dqn_warmup": 20, "dqn_batch": 8, "dqn_hidden": 8,
              "dqn_temperature": 1.0, "eval_episodes": 2, "dqn_eval_episodes": 1, "seed": 3,
              "dqn_temperature_scale": "action_gap"}
    ckpt = tmp_path / "ckpt"
    broken = train_rl({**config, "epochs": 2}, LocalSession(ckpt, threads=1)).history
    assert load_state(ckpt)["epoch"] == 2
    saved = tmp_path / "saved"
    shutil.copytree(ckpt, saved)
    resumed = train_rl(config, LocalSession(saved, threads=1)).history
    unbroken = train_rl(config, LocalSession(threads=1)).history
    assert [h["epoch"] for h in resumed] == [3]
    for key in ("mean_return", "auc", "roughness", "greedy_return", "greedy_auc", "td_loss") + \
            (("action_gap", "temperature") if agent == "dqn" else ()):
        assert resumed[0][key] == pytest.approx(unbroken[-1][key], rel=1e-5), key
    assert broken[-1]["mean_return"] == pytest.approx(unbroken[1]["mean_return"])


def test_the_dqn_softmax_temperature_can_follow_the_q_values_scale():
    """dqn_temperature_scale=action_gap: the temperature is dqn_temperature times the running mean
    action gap (max - min Q at the states visited), so it grows with the Q-values."""
    assert gap_ema(None, [1.0, 3.0, 2.0]) == 2.0                       # starts at the first gap
    assert gap_ema(2.0, [0.0, 12.0]) == pytest.approx(0.99 * 2 + 0.01 * 12)
    config = {"agent": "dqn", "policy": "softmax", "epochs": 3, "dqn_episodes_per_block": 3,
              "dqn_warmup": 20, "dqn_batch": 8, "dqn_hidden": 8, "dqn_temperature": 0.5,
              "dqn_temperature_scale": "action_gap"}
    history = train_rl(config, LocalSession(threads=1)).history
    gaps = [h["action_gap"] for h in history]
    assert all(g > 0 for g in gaps) and len(set(gaps)) == 3            # it moves as Q learns
    assert [h["temperature"] for h in history] == pytest.approx([0.5 * g for g in gaps])
    fixed = train_rl({**config, "dqn_temperature_scale": "fixed"}, LocalSession(threads=1)).history
    assert [h["temperature"] for h in fixed] == [0.5] * 3 and "action_gap" not in fixed[0]
    with pytest.raises(ValueError, match="dqn_temperature_scale"):
        train_rl({**config, "dqn_temperature_scale": "q"}, LocalSession(threads=1))


def test_the_matched_dqn_temperature_explores_as_often_as_eps_greedy():
    """dqn_temperature_scale=matched: at a state whose two Q-values are one mean gap apart, softmax
    takes the worse action exactly as often as eps-greedy at the same episode (eps / 2), uniformly
    at eps = 1; the temperature in Q units is that multiple of the running mean gap."""
    from trainables.rl import epsilon_at, exploration, matched_temperature
    for eps in (0.9, 0.3, 0.05, 0.01):
        assert softmax_probs([0.0, 1.0], matched_temperature(eps))[0] == pytest.approx(eps / 2)
    assert softmax_probs([0.0, 1.0], matched_temperature(1.0))[0] == pytest.approx(0.5, abs=1e-6)
    config = {"agent": "dqn", "policy": "softmax", "epochs": 3, "dqn_episodes_per_block": 3,
              "dqn_warmup": 20, "dqn_batch": 8, "dqn_hidden": 8, "dqn_temperature": 1.0,
              "dqn_temperature_scale": "matched", "dqn_eps_decay": 0.7}
    full = {**DEFAULTS, **config}
    explore = [exploration(full, e) for e in range(9)]
    eps = [epsilon_at(e, 1.0, 0.01, 0.7) for e in range(9)]
    assert explore == [matched_temperature(x) for x in eps] and explore[1] > explore[8]  # it cools
    history = train_rl(config, LocalSession(threads=1)).history
    assert [h["temperature"] for h in history] == pytest.approx(
        [explore[3 * b + 2] * h["action_gap"] for b, h in enumerate(history)])
