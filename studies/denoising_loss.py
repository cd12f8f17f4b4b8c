"""Report Table 5, Figures 6, 7, 22, 23: a denoising autoencoder trained with MSE, MAE, SSIM
and MS-SSIM losses, compared by the MSE of its outputs."""
from search_spaces import denoising_loss
from studies.runner import Study, main
from trainables.autoencoders import train_autoencoder
from trainables.data.digits import load_digits32

STUDY = Study("denoising_loss", train_autoencoder, denoising_loss.space, load_digits32,
              metric="val_mse", mode="min",
              test_shrink=("epochs=2", "max_train=100", "max_val=40", "width=4", "batch_size=32", "lr=0.001"))

if __name__ == "__main__":
    main(STUDY)
