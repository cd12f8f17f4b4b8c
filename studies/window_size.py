"""Report Figure 3: one-step-ahead forecasts of an RNN with input windows of 1, 3, 6 and 12 months."""
from search_spaces import window_size
from studies.runner import Study, main
from trainables.data.airline import load_airline
from trainables.rnn_forecast import train_forecaster

STUDY = Study("window_size", train_forecaster, window_size.space, load_airline, metric="val_rmse", mode="min",
              test_shrink=("epochs=2", "hidden=8", "lr=0.01"))

if __name__ == "__main__":
    main(STUDY)
