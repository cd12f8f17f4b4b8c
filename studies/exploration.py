"""Report Section 6, Figures 8 and 9 (and appendix 7.6): Q-learning with epsilon-greedy vs. softmax
exploration, and a DQN agent with either; learning curves over seeds, episodes to a return
threshold, final return, area under the curve."""
from search_spaces import exploration
from studies.runner import Study, main
from trainables.data.envs import load_envs
from trainables.rl import train_rl

STUDY = Study("exploration", train_rl, exploration.space, load_envs, metric="mean_return", mode="max",
              test_shrink=("epochs=2", "episodes_per_block=20", "dqn_episodes_per_block=2", "eval_episodes=5",
                           "dqn_eval_episodes=1", "dqn_hidden=16", "dqn_batch=16", "dqn_buffer=1000", "dqn_warmup=20",
                           "dqn_max_steps=50", "lr_scale=1.0"))

if __name__ == "__main__":
    main(STUDY)
