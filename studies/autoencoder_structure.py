"""Report Table 4: MLP and CNN autoencoders vs PCA, 10-d codes: reconstruction MSE and the
accuracy of a classifier on the codes."""
from search_spaces import autoencoder_structure
from studies.runner import Study, main
from trainables.autoencoders import train_autoencoder
from trainables.data.digits import load_digits32

STUDY = Study("autoencoder_structure", train_autoencoder, autoencoder_structure.space, load_digits32,
              metric="val_mse", mode="min",
              test_shrink=("epochs=2", "max_train=100", "max_val=40", "width=4", "batch_size=32", "lr=0.001"))

if __name__ == "__main__":
    main(STUDY)
