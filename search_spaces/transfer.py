"""Table 2 / Figure 2: one CNN trained from scratch, by transfer learning (frozen base, new head of
FC 1025 + 512) and by fine-tuning (all layers), with ResNet50 fine-tuning beside VGG16's (full).

The learning rate is one value for every arm, as in the report ("scratch fails without tuning");
`--search optuna` tunes it per arm instead. Early stopping on validation accuracy (`patience`)
ends a trial that stops improving; ASHA only prunes inside an arm (with several samples)."""
from search_spaces.space import LogUniform, Nuisance, Space, pick

METHOD_ARMS = {
    "scratch": {"method": "scratch"},
    "transfer": {"method": "transfer"},
    "finetune": {"method": "finetune"},
}
RESNET_ARM = {"resnet50_finetune": {"method": "finetune", "backbone": "resnet50"}}


def arms(profile: str) -> dict:
    # No ResNet50 (or VGG16) weights ship in any package: offline, one backbone runs the methods.
    return {**METHOD_ARMS, **(RESNET_ARM if profile == "full" else {})}


def space(profile: str, search: str = "grid") -> Space:
    fixed = {
        "dataset": pick(profile, smoke="digits", local="digits", full="tiny_imagenet"),
        "backbone": pick(profile, smoke="efficientnet_lite0", local="efficientnet_lite0", full="vgg16"),
        "weights": "imagenet",
        "head": [1025, 512],
        # digits are upsized from 28 px; Tiny-ImageNet is 64 px (--set image_size=224 to upsize it)
        "image_size": pick(profile, smoke=32, local=32, full=64),
        "max_train": pick(profile, smoke=32, local=400, full=0),
        "max_val": pick(profile, smoke=16, local=200, full=0),
        "max_test": pick(profile, smoke=16, local=400, full=0),
        "epochs": pick(profile, smoke=2, local=12, full=40),
        # the report's scratch run stopped after 5 epochs: no gain after the first, patience 4
        "patience": pick(profile, smoke=1, local=3, full=4),
        "batch_size": pick(profile, smoke=16, local=32, full=64),
        "bn_momentum": 0.1,  # PyTorch's; see trainables/transfer.py
        "eval_batch_size": 256,
        "optimizer": "adam",
        "checkpoint_every": 1,
    }
    if profile == "full":
        fixed.update({"data_root": "", "val_fraction": 0.1})
    return Space(
        arms=arms(profile),
        fixed=fixed,
        nuisance={"lr": Nuisance(grid=[1e-3] if profile != "full" else [1e-4],
                                 dist=LogUniform(1e-5, 1e-2))},
        seeds=pick(profile, smoke=1, local=3, full=3),
        num_samples=pick(profile, smoke=2, local=4, full=8),
        grace_epochs=pick(profile, smoke=1, local=3, full=4),
    )
