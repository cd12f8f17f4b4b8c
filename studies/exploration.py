"""Report Section 6, Figures 8 and 9 (and appendix 7.6): Q-learning with epsilon-greedy vs. softmax
exploration, and a DQN agent with either; learning curves over seeds, episodes to a return
threshold, final return, area under the curve."""
from search_spaces import exploration
from studies.runner import Study, main
from trainables.data.envs import load_envs
from trainables.rl import train_rl

STUDY = Study("exploration", train_rl, exploration.space, load_envs, metric="mean_return", mode="max")

if __name__ == "__main__":
    main(STUDY)
