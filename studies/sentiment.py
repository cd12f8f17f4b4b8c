"""Report Table 3: a 1-d averaged embedding, a 300-d embedding + LSTM, and the LSTM with GloVe
initialisation, on movie-review sentiment; with the scores of two example sentences."""
from search_spaces import sentiment
from studies.runner import Study, main
from trainables.data.reviews import load_sentiment
from trainables.sentiment import train_sentiment

STUDY = Study("sentiment", train_sentiment, sentiment.space, load_sentiment, metric="val_acc", mode="max",
              test_shrink=("epochs=2", "vocab_size=200", "max_len=40", "hidden=8", "batch_size=16", "lr=0.003"))

if __name__ == "__main__":
    main(STUDY)
