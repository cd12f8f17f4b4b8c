"""Figure 3: the RNN's input window (1, 3, 6, 12 months) on a 12-month-periodic series; the
learning rate is tuned per arm on the validation months, seeds are replicates."""
from search_spaces.space import LogUniform, Nuisance, Space, pick

WINDOWS = (1, 3, 6, 12)
ARMS = {f"window_{w}": {"window": w} for w in WINDOWS}
# the report's kind of series, min-max scaled levels, beside local's log change (see `transform`)
LEVEL_ARMS = {f"levels_window_{w}": {"window": w, "transform": "minmax"} for w in WINDOWS}


def space(profile: str, search: str = "grid") -> Space:
    return Space(
        arms={**ARMS, **(LEVEL_ARMS if profile == "local" else {})},
        fixed={
            "epochs": pick(profile, smoke=4, local=200, full=300),
            "hidden": pick(profile, smoke=8, local=32, full=32),
            "batch_size": 16, "val_months": 12, "test_months": 24, "max_months": 0,
            # local: the RNN sees the log month-to-month change, so the test years' higher level is
            # no extrapolation for it (min-max scaled, every window sits at persistence); smoke and
            # full keep the report's kind of min-max scaled series
            "transform": pick(profile, smoke="minmax", local="log_diff", full="minmax"),
            # a checkpoint every 10th epoch (and the last): the epochs are milliseconds long
            "checkpoint_every": pick(profile, smoke=1, local=10, full=10),
            # local: the rate annealed to 0 over the epochs, so every arm ends converged (the
            # report's runs name no schedule); smoke and full keep a constant rate
            "lr_schedule": pick(profile, smoke="constant", local="cosine", full="constant"),
        },
        nuisance={"lr": Nuisance(grid=pick(profile, smoke=[1e-2], local=[1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
                                           full=[1e-3, 3e-3, 1e-2]),
                                 dist=LogUniform(3e-4, 3e-2))},
        seeds=pick(profile, smoke=2, local=3, full=5),
        num_samples=pick(profile, smoke=2, local=3, full=8),
        grace_epochs=pick(profile, smoke=2, local=50, full=50),
    )
