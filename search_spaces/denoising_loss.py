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
            # local: 14 epochs of batches of 32 (twice the steps of 64 per epoch): at 12 epochs of 64
            # every arm's val. MSE still fell by 1.5-2% in its last quarter (cosine, 3 seeds), at 16
            # of 32 by 1.2% (MSE arm, one seed, probed without Ray). Cost per epoch (all four arms,
            # interleaved in one process): 32 with the SSIM losses' cut (trainables/ssim.py) ~= 64
            # without it; 14 epochs + 3 stopped rates x 2 = 20 epoch-units per (seed), ~1.2x the
            # old 12 + 2 x 2, about 400 s quiet (budget 420); 16 epochs would be ~450 s
            "epochs": pick(profile, smoke=2, local=14, full=30),
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
            "batch_size": pick(profile, smoke=32, local=32, full=128),
            "width": pick(profile, smoke=4, local=8, full=32),
            "code_classifier": False,
        },
        # local: the likely winners first, so that they tend to reach the first rung before the
        # others and ASHA stops them there. [1e-3, 3e-3, 1e-2] chose 1e-2, its upper edge, in all
        # four arms; [3e-3, 1e-2, 3e-2] chose 3e-2 for MAE (2/3 seeds) and an edge for MSE (2/3):
        # 0.1 extends it upward (sorted, the flags' view: 3e-3, 1e-2, 3e-2, 0.1). Its first-rung
        # choices at 14 x bs 32, probed without Ray: MSE 3e-2 / 1e-2 / 3e-3 (seeds 0-2: one edge),
        # MAE 3e-2 (seed 0; 0.1 stalled there at a constant output)
        nuisance={"lr": Nuisance(grid=pick(profile, smoke=[3e-3], local=[1e-2, 3e-2, 3e-3, 0.1],
                                           full=[3e-4, 1e-3, 3e-3]),
                                 dist=LogUniform(1e-4, 1e-2))},
        seeds=pick(profile, smoke=1, local=3, full=3),
        num_samples=pick(profile, smoke=1, local=2, full=8),
        grace_epochs=pick(profile, smoke=1, local=2, full=5),
    )
