"""Figure 24: colourising grey images, UNet on L1 alone vs. a conditional GAN (the same UNet as
generator, a PatchGAN discriminator, plus 100 x L1 as in pix2pix); the learning rate is tuned per arm."""
from search_spaces.space import LogUniform, Nuisance, Space, pick

ARMS = {
    "unet": {"model": "unet"},
    "cgan": {"model": "cgan"},
}


def space(profile: str, search: str = "grid") -> Space:
    return Space(
        arms=dict(ARMS),
        fixed={
            "dataset": pick(profile, smoke="photos", local="photos", full="cifar10"),
            # local: 30 epochs (cosine): at 10 the validation MAE of both arms was still falling at the
            # last epoch (UNet 3/3 seeds, cGAN 2/3); at 30 the curves end flat
            "epochs": pick(profile, smoke=2, local=30, full=40),
            # every arm's rate annealed to 0 over the epochs (cosine), so the budget ends converged
            "lr_schedule": pick(profile, smoke="constant", local="cosine", full="cosine"),
            "max_train": pick(profile, smoke=256, local=0, full=0),
            "max_val": pick(profile, smoke=64, local=0, full=0),
            # full: where the canonical files are ("" = the data cache, downloaded once per node)
            **({"data_root": ""} if profile == "full" else {}),
            "batch_size": pick(profile, smoke=32, local=32, full=64),
            "width": pick(profile, smoke=4, local=8, full=32),
            "l1_weight": 100.0,
        },
        # smoke: a usable rate first and a poor one second, so ASHA has something to stop; local: the
        # rate chosen most often (3e-3) first, so its trial runs the whole budget and the others are
        # stopped at the rung if they lose there (the order decides nothing else but ties). 3e-4, 1e-4
        # last: at 30 epochs the UNet chose 1e-3, then the lower edge, in 2 of 3 seeds; with 3e-4 added
        # both arms chose 3e-4, the new edge, in 2 of 3 (at 30 epochs the faster rates overfit the crops)
        nuisance={"lr": Nuisance(grid=pick(profile, smoke=[2e-3, 1e-6], local=[3e-3, 1e-3, 1e-2, 3e-4, 1e-4],
                                           full=[2e-4, 1e-3]),
                                 dist=LogUniform(1e-4, 1e-2))},
        seeds=pick(profile, smoke=1, local=3, full=3),
        num_samples=pick(profile, smoke=2, local=2, full=6),
        grace_epochs=pick(profile, smoke=1, local=3, full=10),
    )
