"""Report Figure 1: training loss of the Section 1 CNN at several learning rates."""
from search_spaces import lr_sweep
from studies.runner import Study, main
from trainables.cnn import train_cnn
from trainables.data.cifar10 import load_images

STUDY = Study("lr_sweep", train_cnn, lr_sweep.space, load_images, metric="val_acc",
              test_shrink=("epochs=2", "max_train=60", "max_val=30", "width=4", "batch_size=32"))

if __name__ == "__main__":
    main(STUDY)
