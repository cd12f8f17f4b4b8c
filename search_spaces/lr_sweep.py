"""Figure 1: the learning rate itself is the compared setting (plain SGD, so its effect shows).

--search grid: one arm per rate, full curves. --search optuna: one arm, the rate drawn
log-uniformly, with ASHA pruning poor rates."""
from search_spaces.space import LogUniform, Nuisance, Space, pick

RATES = [0.01, 0.03, 0.1, 0.3, 1.0]


def space(profile: str, search: str = "grid") -> Space:
    fixed = {
        # local: Fashion-MNIST 4k/1k, a stand-in for CIFAR-10 whose baseline is not saturated (the
        # embedded digits reach 97%); smoke stays on the embedded digits (no system package needed)
        "dataset": pick(profile, smoke="digits", local="fashion_mnist", full="cifar10"),
        "epochs": pick(profile, smoke=2, local=8, full=30),
        "max_train": pick(profile, smoke=600, local=4000, full=0),
        "max_val": pick(profile, smoke=300, local=1000, full=0),
        "batch_size": 64, "optimizer": "sgd", "momentum": 0.0,
        "width": pick(profile, smoke=8, local=16, full=32),
        # full: where the canonical files are ("" = the data cache, downloaded once per node)
        **({"data_root": ""} if profile == "full" else {}),
    }
    rates = pick(profile, smoke=[0.03, 0.3], local=RATES, full=RATES)
    if search == "optuna":
        return Space(arms={"sgd": {}}, fixed=fixed,
                     nuisance={"lr": Nuisance(grid=rates, dist=LogUniform(1e-3, 1.0))},
                     seeds=1, num_samples=pick(profile, smoke=3, local=10, full=30),
                     # poor rates show in epoch 1: stopped there once a better one has done better
                     grace_epochs=1)
    return Space(arms={f"lr={r:g}": {"lr": r} for r in rates}, fixed=fixed,
                 # local: 3 seeds, so the oscillation trend has an interval (1 seed cannot settle it)
                 seeds=pick(profile, smoke=1, local=3, full=3))
