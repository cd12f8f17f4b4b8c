"""Report Figures 4, 5: BLEU of a word- and a character-level LSTM's samples against temperature."""
from search_spaces import textgen_temperature
from studies.runner import Study, main
from trainables.data.corpus import load_corpus
from trainables.language_model import train_language_model

STUDY = Study("textgen_temperature", train_language_model, textgen_temperature.space, load_corpus,
              metric="val_perplexity", mode="min")

if __name__ == "__main__":
    main(STUDY)
