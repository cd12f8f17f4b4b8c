"""Table 5: one convolutional denoising autoencoder trained with four losses (the arms):
MSE, MAE, SSIM (1 - SSIM) and MS-SSIM (1 - MS-SSIM); noisy input, clean target."""
from search_spaces.space import LogUniform, Nuisance, Space, pick

ARMS = {
    "mse": {"loss": "mse"},
    "mae": {"loss": "mae"},
    "ssim": {"loss": "ssim"},
    "ms_ssim": {"loss": "ms_ssim"},
}


def space(profile: str, search: str = "grid") -> Space:
    return Space(
        arms=dict(ARMS),
        fixed={
            "model": "denoiser",
            "dataset": pick(profile, smoke="digits", local="digits", full="mnist"),
            "epochs": pick(profile, smoke=2, local=12, full=30),
            # the rate annealed to 0 over the epochs (every arm alike), so the local budget ends
            # converged rather than still improving
            "lr_schedule": pick(profile, smoke="constant", local="cosine", full="cosine"),
            "max_train": pick(profile, smoke=300, local=0, full=0),
            "max_val": pick(profile, smoke=150, local=0, full=0),
            # the rate and ASHA read a validation split carved from training; the held-out split is the test
            "val_share": 0.1,
            # full: where the canonical files are ("" = the data cache, downloaded once per node)
            **({"data_root": ""} if profile == "full" else {}),
            # Gaussian noise of this std is added to the [0, 1] input, then clipped to [0, 1]
            "noise": 0.5,
            "batch_size": pick(profile, smoke=32, local=64, full=128),
            "width": pick(profile, smoke=4, local=8, full=32),
            "code_classifier": False,
        },
        # local: the likely winner first, so that it tends to reach the first rung before the
        # others and ASHA stops them there (the flags sort the grid: 1e-2 is its middle value). [1e-3, 3e-3, 1e-2] chose 1e-2,
        # its upper edge, in all four arms (seed 0 of an interrupted local run)
        nuisance={"lr": Nuisance(grid=pick(profile, smoke=[3e-3], local=[1e-2, 3e-3, 3e-2],
                                           full=[3e-4, 1e-3, 3e-3]),
                                 dist=LogUniform(1e-4, 1e-2))},
        seeds=pick(profile, smoke=1, local=3, full=3),
        num_samples=pick(profile, smoke=1, local=2, full=8),
        grace_epochs=pick(profile, smoke=1, local=2, full=5),
    )
