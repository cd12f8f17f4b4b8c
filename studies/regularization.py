"""Report Table 1: best validation accuracy of seven training methods of one CNN."""
from search_spaces import regularization
from studies.runner import Study, main
from trainables.cnn import train_cnn
from trainables.data.cifar10 import load_images

STUDY = Study("regularization", train_cnn, regularization.space, load_images, metric="val_acc",
              test_shrink=("epochs=2", "max_train=60", "max_val=30", "width=4", "batch_size=32", "lr=0.001"))

if __name__ == "__main__":
    main(STUDY)
