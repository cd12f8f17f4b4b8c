"""Report Table 6: reconstruction MSE and Inception Score of a VAE with and without its KL term,
and the Inception Score of a GAN (scored by a digit classifier, not Inception-v3)."""
from search_spaces import vae_gan
from studies.runner import Study, main
from trainables.generative import load_generative_data, train_vae_gan

STUDY = Study("vae_gan", train_vae_gan, vae_gan.space, load_generative_data, metric="is_mean", mode="max",
              test_shrink=("epochs=2", "max_train=100", "max_val=40", "width=8", "n_samples=100", "is_splits=2",
                           "classifier_epochs=1", "lr_scale=1.0"))

if __name__ == "__main__":
    main(STUDY)
