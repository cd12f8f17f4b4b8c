"""TensorBoard images: the previews each trainable keeps at the first, a middle and the last epoch
(without Ray), and a smoke study through real Ray Tune whose TensorBoard runs hold them, read
back with TensorBoard's own reader, beside the scalars, with nothing of them in result.json."""
from __future__ import annotations

import numpy as np
import pytest

from trainables.autoencoders import train_autoencoder
from trainables.colorization import train_colorization
from trainables.data.digits import load_digits32
from trainables.data.photos import load_colorization_data
from trainables.generative import load_generative_data, train_vae_gan
from trainables.previews import MAX_PIXELS, check, grid, image_epochs, to_uint8
from trainables.rnn_forecast import train_forecaster
from trainables.session import LocalSession


def test_grid_lays_batches_out_as_one_small_uint8_image():
    grey = np.linspace(0, 1, 3 * 4 * 5, dtype=np.float32).reshape(3, 1, 4, 5)
    colour = np.full((3, 4, 5, 3), 200, np.uint8)
    img = grid(grey, colour, cols=2, pad=1)  # each batch wraps onto two lines of two
    assert img.dtype == np.uint8 and img.shape == (4 * (4 + 1), 2 * (5 + 1), 3)
    # the grey batch first, two to a line, in order (as RGB: colour is in the grid)
    for i, (y, x) in enumerate([(1, 1), (1, 7), (6, 1)]):
        assert (img[y:y + 4, x:x + 5] == to_uint8(grey[i, 0])[..., None]).all()
    assert (img[6:10, 7:12] == 0).all()  # no fourth grey image: padding
    assert (img[11:15, 1:6] == 200).all()  # the colour batch below it
    assert grid(np.ones((2, 4, 4)), cols=2).shape == (5, 10, 1)
    assert image_epochs(1) == {1} and image_epochs(4) == {1, 2, 4} and image_epochs(15) == {1, 8, 15}


def test_check_refuses_anything_but_small_uint8_images():
    with pytest.raises(ValueError, match="uint8"):
        check({"x": np.zeros((4, 4, 3), np.float32)})
    with pytest.raises(ValueError, match="over"):
        check({"x": np.zeros((MAX_PIXELS, 2, 1), np.uint8)})
    with pytest.raises(ValueError, match="tag"):
        check({"a/b": np.zeros((4, 4, 1), np.uint8)})


def test_images_travel_in_a_checkpoint_folder_and_one_without_them_has_none(tmp_path):
    from ray.tune import Checkpoint

    from studies.tb_logger import checkpoint_images
    from trainables.session import save_images, save_state
    save_state({"epoch": 3}, tmp_path / "plain")
    assert checkpoint_images(Checkpoint.from_directory(str(tmp_path / "plain"))) is None
    img = grid(np.random.default_rng(0).random((4, 8, 8)), cols=4)
    save_state({"epoch": 3}, tmp_path / "with")
    save_images({"samples": img}, 3, tmp_path / "with")
    epoch, images = checkpoint_images(Checkpoint.from_directory(str(tmp_path / "with")))
    assert epoch == 3 and list(images) == ["samples"] and np.array_equal(images["samples"], img)


def _kept(session: LocalSession) -> dict:
    return {epoch: {tag: img.shape for tag, img in images.items()} for epoch, images in session.images.items()}


def test_each_trainable_keeps_its_previews_at_three_epochs_and_none_in_its_metrics():
    digits = load_digits32({"dataset": "digits", "max_train": 100, "max_val": 50})
    runs = {
        "reconstructions": train_autoencoder({"model": "mlp", "epochs": 5, "batch_size": 64}, LocalSession(threads=1), digits),
        "denoised": train_autoencoder({"model": "denoiser", "noise": 0.5, "width": 4, "epochs": 3, "batch_size": 64},
                                      LocalSession(threads=1), digits),
        "samples": train_vae_gan({"max_train": 100, "max_val": 50, "n_samples": 40, "is_splits": 2, "width": 4,
                                  "classifier_epochs": 1, "epochs": 3}, LocalSession(threads=1),
                                 load_generative_data({"max_train": 100, "max_val": 50, "classifier_epochs": 1})),
        "colorizations": train_colorization({"model": "unet", "width": 2, "epochs": 3, "batch_size": 8},
                                            LocalSession(threads=1),
                                            load_colorization_data({"max_train": 16, "max_val": 8})),
        "forecast": train_forecaster({"window": 3, "epochs": 5, "hidden": 4}, LocalSession(threads=1)),
    }
    for tag, session in runs.items():
        total = session.history[-1]["epoch"]
        kept = _kept(session)
        assert set(kept) == image_epochs(total) and all(set(k) == {tag} for k in kept.values()), (tag, kept)
        for images in session.images.values():
            img = images[tag]
            assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[0] * img.shape[1] <= MAX_PIXELS
            assert img.std() > 0  # a picture, not a blank
        assert not any(isinstance(v, np.ndarray) for h in session.history for v in h.values())
    assert runs["denoised"].images[1]["denoised"].shape == (3 * 33, 10 * 33, 1)  # noisy, output, clean
    assert runs["colorizations"].images[3]["colorizations"].shape[-1] == 3
    # PCA is fitted once, reported at the budget's epoch: one preview
    pca = train_autoencoder({"model": "pca", "epochs": 7}, LocalSession(threads=1), digits)
    assert _kept(pca) == {7: {"reconstructions": (3 * 33, 10 * 33, 1)}}


@pytest.fixture(scope="module")
def window_run(smoke_run):
    return smoke_run("window_size")  # the same run tests/test_window_size.py reads


def test_tensorboard_runs_hold_the_forecasts_beside_the_scalars(window_run):
    from tensorboard.backend.event_processing import event_accumulator as ea
    runs = sorted(p.parent for p in window_run.glob("*/params.json"))
    assert runs
    for run in runs:
        acc = ea.EventAccumulator(str(run), size_guidance={ea.IMAGES: 0, ea.SCALARS: 0})
        acc.Reload()
        assert "1_study/val_rmse" in acc.Tags()["scalars"]  # the same run as the study's scalars
        assert acc.Tags()["images"] == ["images/forecast"]
        images = acc.Images("images/forecast")
        last = int(max(e.step for e in acc.Scalars("1_study/val_rmse")))
        assert [e.step for e in images] == sorted(image_epochs(4) & set(range(1, last + 1)))
        for event in images:
            assert event.encoded_image_string.startswith(b"\x89PNG") and 100 < event.width <= 512
        # never in the results Ray's JSON logger writes (its CSV logger is off)
        assert b"forecast" not in (run / "result.json").read_bytes()
