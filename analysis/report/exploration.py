"""Report Section 6 (Figures 8, 9) and appendix 7.6: epsilon-greedy vs. softmax exploration.

The report shows learning curves only (no numbers). Its claims: epsilon-greedy gives a fast early
rise, then a plateau; softmax (temperature 0.05) gives a smoother curve and slightly slower
convergence. Each is judged here on per-seed statistics of the learning curve (computed by the
trainable, trainables.rl.curve_stats), as effects with intervals over seeds (analysis/findings.py)."""
from dataclasses import replace

import numpy as np

from analysis import baselines
from analysis.claims import C, F
from analysis.figures import mean_band, plt, save
from analysis.findings import INCONCLUSIVE, difference, finding, higher, lower, stated
from analysis.report import Column, ReportSpec
from analysis.report.curves import per_seed
from trainables import measures

ARM_LABELS = {"q_eps": "Q-learning, ε-greedy (decaying ε)", "q_softmax": "Q-learning, softmax",
              "dqn_eps": "DQN, ε-greedy (decaying ε)", "dqn_softmax": "DQN, softmax over Q-values"}
FAMILIES = (("q", "q_eps", "q_softmax", "Q-learning"), ("dqn", "dqn_eps", "dqn_softmax", "DQN"))


# smallest effects of interest, per agent's environment (FrozenLake returns in [0, 1]; CartPole
# returns are steps balanced, up to dqn_max_steps)
Q, DQN = "q", "dqn"
SESOI = {
    (Q, "return"): (0.05, "0.05: five points of success rate on FrozenLake"),
    (Q, "rough"): (0.01, "0.01: a one-point change of success rate between blocks"),
    (DQN, "return"): (10.0, "10 steps of CartPole return: a tenth of the return threshold"),
    (DQN, "rough"): (5.0, "5 steps of CartPole return between blocks"),
}


def _sesoi(agent, what):
    return SESOI[(agent, what)]


def findings(s):
    q_ret, q_rough, d_ret, d_rough = (_sesoi(Q, "return"), _sesoi(Q, "rough"), _sesoi(DQN, "return"),
                                      _sesoi(DQN, "rough"))
    return {
        "q_eps_fast_early": higher("Q-learning: ε-greedy rises fast early (higher mean return over the first third of "
               "training than softmax)", s, "q_eps", "q_softmax", "final_early_return", *q_ret, unit="return"),
        "q_eps_plateaus": lower("Q-learning: ε-greedy then plateaus (smaller late gain, last third minus middle third, "
              "than softmax)", s, "q_eps", "q_softmax", "final_late_gain", *q_ret, unit="return"),
        "q_softmax_smoother": lower("Q-learning: softmax gives a smoother curve (lower mean absolute block-to-block change of the "
              "return)", s, "q_softmax", "q_eps", "final_roughness", *q_rough, unit="return"),
        # convergence speed by the greedy policy's return (issue 13): the exploring policy's return
        # also pays for its exploration, which is what the two arms differ in
        "q_softmax_slower_auc": lower("Q-learning: softmax converges slightly slower (smaller area under the greedy policy's "
              "return curve)", s, "q_softmax", "q_eps", "final_greedy_auc", *q_ret, unit="return"),
        "dqn_softmax_smoother": lower("DQN: softmax gives a smoother curve (lower mean absolute block-to-block change)",
              s, "dqn_softmax", "dqn_eps", "final_roughness", *d_rough, unit="return"),
        "dqn_softmax_slower_auc": lower("DQN: softmax converges slightly slower (smaller area under the greedy policy's return "
              "curve)", s, "dqn_softmax", "dqn_eps", "final_greedy_auc", *d_ret, unit="return"),
        "q_softmax_slower_reach": greedy_slower(GREEDY_CLAIM.format("Q-learning"), s, "q_softmax", "q_eps", Q),
        "dqn_softmax_slower_reach": greedy_slower(GREEDY_CLAIM.format("DQN"), s, "dqn_softmax", "dqn_eps", DQN),
    }


GREEDY_CLAIM = ("{}: softmax converges slightly slower by the greedy policy (more episodes until the greedy "
                "policy's return first reaches the return threshold)")


def greedy_episodes(s, arm: str, agent: str) -> tuple:
    """(seed -> episodes until the greedy policy's return (history, one evaluation a block) first
    reaches the arm's return threshold, censored at the episodes run when it never does; seed ->
    whether it did; the threshold; episodes per block)."""
    from trainables.rl import threshold_for
    env = _config(s, arm, "dqn_env" if agent == DQN else "env")
    setting = _config(s, arm, "dqn_threshold" if agent == DQN else "threshold")
    block = float(_config(s, arm, "dqn_episodes_per_block" if agent == DQN else "episodes_per_block") or 1)
    threshold = threshold_for(env, setting) if env is not None else np.nan

    def measure(h):
        g = np.asarray(h["greedy_return"], float)
        g = g[np.isfinite(g)]
        if not len(g) or not np.isfinite(threshold):
            raise ValueError("no greedy return")
        return measures.first_reach(g, threshold, int(block)), len(g) * block

    found = per_seed(s, arm, lambda h: measure(h)[0])
    run = per_seed(s, arm, lambda h: measure(h)[1])
    episodes = {k: found[k] if np.isfinite(found.get(k, np.nan)) else v for k, v in run.items()}
    return episodes, {k: bool(np.isfinite(found.get(k, np.nan))) for k in run}, threshold, block


def greedy_slower(claim, s, a, b, agent):
    """`a`'s greedy policy needs more episodes to the threshold than `b`'s, by at least one block
    (the measure's resolution); inconclusive when every seed of both is censored."""
    (ea, ra, threshold, block), (eb, rb, _, _) = greedy_episodes(s, a, agent), greedy_episodes(s, b, agent)
    if ea and eb and not any(ra.values()) and not any(rb.values()):
        return stated(claim, INCONCLUSIVE, f"the greedy policy of no seed of {a} or {b} reached the return "
                                           f"threshold ({threshold:g}) within the budget (both censored)")
    c = difference(f"greedy episodes to {threshold:g}: {a} − {b}", ea, eb, +1, block)
    text = lambda v: ", ".join(f"{x:g}" for x in v.values()) or "n/a"
    c = replace(c, arms=(a, b), detail=f"{a} ({text(ea)}); {b} ({text(eb)})" + (f"; {c.detail}" if c.detail else ""))
    return finding(claim, [c], block, f"{block:g} episodes: one block, the resolution of the measure", "episodes")


def _config(s, arm, key):
    t = s.trials[s.trials["arm"] == arm]
    col = f"config/{key}"
    return t[col].iloc[0] if col in t and len(t) else None


def learning_curves(s, folder, family: str):
    """Like Figures 8 and 9: return per episode (block means) over training, mean over seeds with
    the seed range as a band; the greedy policy's return dashed; epsilon/temperature on the right."""
    _, eps_arm, soft_arm, title = next(f for f in FAMILIES if f[0] == family)
    arms = [a for a in (eps_arm, soft_arm) if a in s.arms and not s.curves(a).empty]
    if not arms:
        return None
    fig, axes = plt.subplots(1, len(arms), figsize=(5.2 * len(arms), 3.8), squeeze=False, sharey=True)
    for ax, arm in zip(axes[0], arms):
        c = s.curves(arm)
        x, m, lo, hi = mean_band(c, "episodes", "mean_return")
        ax.plot(x, m, marker="o", ms=3, label="return per episode (block mean)")
        ax.fill_between(x, lo, hi, alpha=0.25, label=f"seed range (n={c['trial_id'].nunique()})")
        if "greedy_return" in c and c["greedy_return"].notna().any():
            x, m, _, _ = mean_band(c.dropna(subset=["greedy_return"]), "episodes", "greedy_return")
            ax.plot(x, m, ls="--", lw=1, label="greedy policy's return")
        ax.set_xlabel("episode")
        ax.set_ylabel("return")
        key = "temperature" if arm.endswith("softmax") else "epsilon"
        if key in c and c[key].notna().any():
            twin = ax.twinx()
            x, m, _, _ = mean_band(c.dropna(subset=[key]), "episodes", key)
            twin.plot(x, m, color="grey", ls=":", lw=1)
            twin.set_ylim(0, max(m.max(), 1e-9) * 1.15)
            twin.set_ylabel(key, color="grey")
        env = _config(s, arm, "dqn_env" if family == "dqn" else "env")
        ax.set_title(f"{ARM_LABELS[arm]}" + (f"\n{env}" if env else ""), fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"{title}: ε-greedy vs. softmax exploration")
    fig.tight_layout()
    return save(fig, folder, f"{family}_learning_curves.png")


def q_curves(s, folder):
    return learning_curves(s, folder, "q")


def dqn_curves(s, folder):
    return learning_curves(s, folder, "dqn")


FIG = {"q_eps": "fewer (Fig. 8)", "q_softmax": "slightly more (Fig. 9)"}
CLAIMS = (
    C("the agent explores more randomly at the beginning of training, then increasingly shifts toward a greedy "
      "policy as ϵ decays",
      "Section 6, Figure 8",
      "epsilon follows a decaying schedule: true by construction"),
    F("often leading to a rapid initial performance boost followed by a plateau",
      "Section 6, Figure 8",
      "q_eps above q_softmax on mean return over the first third of blocks",
      "q_eps_fast_early"),
    F("often leading to a rapid initial performance boost followed by a plateau",
      "Section 6, Figure 8",
      "q_eps: late gain (last third minus middle third) below q_softmax's",
      "q_eps_plateaus"),
    C("a higher temperature promotes more uniform exploration and a lower temperature makes the policy more "
      "greedy",
      "Section 6",
      "a property of the softmax over Q-values: true by construction"),
    F("This can result in a smoother learning curve",
      "Section 6, Figures 8, 9",
      "q_softmax (and dqn_softmax) lower roughness of the block-return curve than eps",
      ("q_softmax_smoother", "dqn_softmax_smoother")),
    F("slightly slower convergence compared to a purely ϵ -greedy approach",
      "Section 6, Figures 8, 9",
      "softmax needs more episodes than eps for the GREEDY policy's return to reach the threshold",
      ("q_softmax_slower_auc", "dqn_softmax_slower_auc", "q_softmax_slower_reach", "dqn_softmax_slower_reach")),
)


SPEC = ReportSpec(
    study="exploration",
    claims=CLAIMS,
    baselines=baselines.exploration,
    baseline_columns={"mean_return": [("final_mean_return", "max"), ("final_greedy_return", "max")]},
    baseline_arms=baselines.by_environment,
    title="Figures 8, 9: Q-learning (and DQN) with ε-greedy vs. softmax exploration",
    columns=[
        Column("episodes to block return ≥ threshold", "final_episodes_to_threshold", fmt=".0f", report=FIG),
        Column("seeds reaching the threshold (%)", "final_threshold_reached", scale=100, fmt=".0f"),
        Column("final mean return (last block)", "final_mean_return", fmt=".3g",
               report={"q_eps": "plateau (Fig. 8)", "q_softmax": "Fig. 9, no number"}),
        Column("area under the learning curve (mean return, all episodes)", "final_auc", fmt=".3g"),
        Column("roughness: mean abs. block-to-block change", "final_roughness", fmt=".3g",
               report={"q_eps": "rougher (Fig. 8)", "q_softmax": "smoother (Fig. 9)"}),
        Column("greedy policy's return, last block", "final_greedy_return", fmt=".3g"),
    ],
    findings=findings,
    figures=[q_curves, dqn_curves],
    arm_labels=ARM_LABELS,
    notes=[
        "The report gives these results as figures only (Figures 8, 9), without numbers: its "
        "columns hold its qualitative claims, or '—'.",
        "The report names no environment. Tabular arms run FrozenLake-v1 (4x4, slippery) and DQN "
        "arms CartPole-v1 (episodes capped at `dqn_max_steps`), from gymnasium; `--set env=Taxi-v4` "
        "or `--set env=CliffWalking-v1` switch the tabular one. Rows of different agents are on "
        "different environments and scales: compare ε-greedy with softmax within an agent only.",
        "One 'epoch' is a block of episodes; returns are training returns (with exploration). "
        "Episodes to threshold: the first block whose mean return reached the environment's "
        "threshold (FrozenLake 0.3, Taxi 0, CliffWalking -30, CartPole 100; `--set threshold=`); a "
        "seed that never did counts as the whole budget (censored), see 'seeds reaching'.",
        "Softmax uses temperature 0.05 as in the report (`temperature`) for Q-learning. The local DQN's "
        "is on the scale of its Q-values (`dqn_temperature_scale=matched`): the running mean gap between "
        "its best and worst Q-value times 1/ln(2/ε - 1), ε being the ε-greedy arm's value at the same "
        "episode, so at a state with that gap softmax takes the worse action as often as ε-greedy does "
        "(ε/2; uniform at first): the arms explore as much, only differently. A fixed 0.05 leaves it "
        "below a random policy, and a fixed multiple of the gap without the uniform start learned "
        "nothing at any step size. ε decays per episode as "
        "max(eps_min, eps_start·eps_decay^episode). The step size (alpha, or the DQN's Adam rate) is "
        "tuned per arm via `lr_scale`; each seed's best setting by block mean return is kept. "
        "`local` chooses it at block 12 of 25: in the first blocks no DQN has learned yet at any step "
        "size, so a choice there is noise.",
        "Convergence speed ('softmax converges slightly slower') is judged on the greedy policy's "
        "return after each block (episodes until it first reaches the threshold, and its area under "
        "the curve), not on the exploring policy's return, which also pays for the exploration the "
        "arms differ in; the early rise, plateau and smoothness claims are about the learning curve "
        "itself (the exploring return, as the report plots it).",
        "DQN (appendix 7.6): replay buffer, a target network synced every `dqn_target_every` "
        "updates; the TD target is r + γ·max_a' Q_target(s', a'), Huber loss.",
    ],
)
