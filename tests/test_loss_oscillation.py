"""Figure 1's oscillation measure as the CNN trainable reports it (issue 13, item 3): the std of the
per-batch loss around its trend, in loss units, from each batch's true mean loss (the last,
partial batch included), not the jitter divided by the epoch's loss."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from trainables.cnn import CNN, run_epoch, train_cnn
from trainables.data.digits import load_digits
from trainables.measures import oscillation


def test_the_epoch_oscillation_is_that_of_each_batchs_mean_loss():
    torch.manual_seed(0)
    a = load_digits(200, 100).arrays
    x, y = torch.tensor(a["x_val"]), torch.tensor(a["y_val"])
    model = CNN(1, 28, width=4)
    # 100 examples in batches of 16: six full batches and a last one of 4
    loss, _, _, _, wobble = run_epoch(model, None, x, y, 16, "cpu")
    with torch.no_grad():
        per_batch = [F.cross_entropy(model(x[i:i + 16].float() / 255), y[i:i + 16]).item()
                     for i in range(0, 100, 16)]
    assert wobble == pytest.approx(oscillation(per_batch), rel=1e-4)
    assert loss == pytest.approx(np.average(per_batch, weights=[16] * 6 + [4]), rel=1e-4)


def test_train_cnn_reports_it_every_epoch_as_a_minimised_metric():
    data = load_digits(300, 100)
    history = train_cnn({"epochs": 2, "width": 4, "optimizer": "sgd", "momentum": 0.0, "lr": 0.3},
                        data=data).history
    assert train_cnn.metrics["loss_oscillation"] == "min"
    values = [h["loss_oscillation"] for h in history]
    assert len(values) == 2 and all(np.isfinite(v) and v > 0 for v in values)
    # in loss units: a wobble around the trend cannot exceed the largest batch loss
    assert all(v < 2 * h["train_loss"] + 1 for v, h in zip(values, history))
