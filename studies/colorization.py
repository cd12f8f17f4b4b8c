"""Report Figure 24: colourisation of grey images by a UNet trained on MAE alone and by a
conditional GAN (same UNet, PatchGAN discriminator, L1 term); test MAE and output saturation."""
from search_spaces import colorization
from studies.runner import Study, main
from trainables.colorization import train_colorization
from trainables.data.photos import load_colorization_data

STUDY = Study("colorization", train_colorization, colorization.space, load_colorization_data,
              metric="val_mae", mode="min",
              test_shrink=("epochs=2", "max_train=60", "max_val=20", "width=4", "batch_size=16", "lr=0.001"))

if __name__ == "__main__":
    main(STUDY)
