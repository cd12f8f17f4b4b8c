"""Section 6 (Figures 8, 9) and appendix 7.6: epsilon-greedy vs. softmax exploration, for tabular
Q-learning and for a DQN agent. The step size (alpha for Q-learning, Adam's rate for the DQN) is
tuned per arm through one multiplier, `lr_scale`; seeds are replicates (RL curves are noisy).

Other environments, temperatures and decay schedules are settings: e.g. `--set env=Taxi-v4`,
`--set temperature=0.5`, `--set eps_schedule=linear --set eps_decay_episodes=500`."""
from search_spaces.space import LogUniform, Nuisance, Space, pick

ARMS = {
    "q_eps": {"agent": "q", "policy": "eps_greedy"},
    "q_softmax": {"agent": "q", "policy": "softmax"},
    "dqn_eps": {"agent": "dqn", "policy": "eps_greedy"},
    "dqn_softmax": {"agent": "dqn", "policy": "softmax"},
}


def space(profile: str, search: str = "grid") -> Space:
    return Space(
        arms=dict(ARMS),
        fixed={
            "env": "FrozenLake-v1", "dqn_env": "CartPole-v1",
            "epochs": pick(profile, smoke=3, local=25, full=50),                     # blocks
            "episodes_per_block": pick(profile, smoke=30, local=150, full=200),      # tabular
            "dqn_episodes_per_block": pick(profile, smoke=2, local=8, full=20),
            "threshold": "auto", "dqn_threshold": "auto",
            "gamma": 0.99, "alpha": 0.1,
            "eps_schedule": "exp", "eps_start": 1.0, "eps_min": 0.01,
            "eps_decay": pick(profile, smoke=0.95, local=0.997, full=0.9995),
            "eps_decay_episodes": 1000,
            "dqn_eps_decay": pick(profile, smoke=0.7, local=0.95, full=0.99),
            "temperature": 0.05, "temperature_decay": 1.0, "temperature_min": 0.01,
            # local: the DQN's temperature on the scale of its Q-values (trainables/rl.py): a multiple
            # of the running mean action gap, the multiple following the eps-greedy arm's schedule
            # (matched_temperature): at a state with that gap softmax takes the worse of CartPole's 2
            # actions as often as eps-greedy does at the same episode (eps/2: uniform at first,
            # 0.005 at the floor), so the arms explore as much, only differently. A fixed T = 0.05
            # (the report's) is nearly greedy once the gaps grow and ends below a random policy; a
            # fixed 0.42 x gap never explores uniformly: its arm chose lr_scale 0.3 in 5/5 seeds
            # and ended at ~11 steps, below a random policy.
            "dqn_temperature_scale": pick(profile, smoke="fixed", local="matched", full="fixed"),
            "dqn_temperature": pick(profile, smoke=0.05, local=1.0, full=0.05),
            "eval_episodes": pick(profile, smoke=5, local=20, full=100),
            "dqn_eval_episodes": pick(profile, smoke=1, local=3, full=10),
            # local: Adam's rate 3e-3 x lr_scale (3e-4 .. 3e-2 over the grid; at 1e-3 x [1, 3] the
            # eps-greedy DQN chose the upper edge)
            "dqn_lr": pick(profile, smoke=1e-3, local=3e-3, full=1e-3), "dqn_hidden": pick(profile, smoke=16, local=64, full=64),
            "dqn_batch": pick(profile, smoke=16, local=64, full=64),
            "dqn_buffer": pick(profile, smoke=1000, local=10_000, full=50_000),
            "dqn_warmup": pick(profile, smoke=20, local=200, full=1000),
            "dqn_train_every": pick(profile, smoke=1, local=2, full=1), "dqn_target_every": 100,
            "dqn_max_steps": pick(profile, smoke=100, local=200, full=500),
        },
        # local: the usual winner (1) first, so it runs the whole budget and the rest stop at the rung
        # when they lose there (the order decides only exact ties)
        nuisance={"lr_scale": Nuisance(grid=pick(profile, smoke=[1.0], local=[1.0, 3.0, 0.3, 10.0],
                                                 full=[0.3, 1.0, 3.0]),
                                       dist=LogUniform(0.1, 10.0))},
        seeds=pick(profile, smoke=2, local=5, full=10),
        num_samples=pick(profile, smoke=1, local=2, full=8),
        # local: the step size is chosen at block 12 of 25, once the DQN learns: at block 4 (32
        # episodes) no DQN had learned yet (returns 10-20 at every rate), so the choice was noise
        # (eps-greedy chose 0.3, 10, 1, 1, 0.3: grid edge in 3/5 seeds); by block 12 the rates that
        # learn (1, 3) lead the slow one (0.3) and the unstable one (10), which often collapses
        grace_epochs=pick(profile, smoke=1, local=12, full=10),
    )
