"""Report Table 2 / Figure 2: a CNN trained from scratch, by transfer learning and by fine-tuning
(VGG16 and ResNet50 on Tiny-ImageNet in `full`; EfficientNet-Lite0 on a digits stand-in offline)."""
from search_spaces import transfer
from studies.runner import Study, main
from trainables.data.tiny_imagenet import load_transfer_data
from trainables.transfer import ensure_weights, train_transfer


def load_data(fixed: dict):
    """The data, and every arm's pretrained weights fetched before a trial starts (offline and
    absent: one clear error here, not one per trial)."""
    data = load_transfer_data(fixed)
    ensure_weights([{**fixed, **arm} for arm in transfer.arms(fixed["profile"]).values()])
    return data


STUDY = Study("transfer", train_transfer, transfer.space, load_data, metric="val_acc",
              test_shrink=("epochs=2", "max_train=24", "max_test=8", "image_size=32", "batch_size=8", "eval_batch_size=32", "checkpoint_every=2"))

if __name__ == "__main__":
    main(STUDY)
