"""Report Figure 24: colourisation of grey images by a UNet trained on MAE alone and by a
conditional GAN (same UNet, PatchGAN discriminator, L1 term); test MAE and output saturation."""
from search_spaces import colorization
from studies.runner import Study, main
from trainables.colorization import train_colorization
from trainables.data.photos import load_colorization_data

STUDY = Study("colorization", train_colorization, colorization.space, load_colorization_data,
              metric="val_mae", mode="min")

if __name__ == "__main__":
    main(STUDY)
