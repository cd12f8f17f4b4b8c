"""Report Figures 4, 5: BLEU of a word- and a character-level LSTM's samples against temperature."""
from search_spaces import textgen_temperature
from studies.runner import Study, main
from trainables.data.corpus import load_corpus
from trainables.language_model import train_language_model

STUDY = Study("textgen_temperature", train_language_model, textgen_temperature.space, load_corpus,
              metric="val_perplexity", mode="min",
              test_shrink=("epochs=2", "embed=16", "hidden=32", "word_vocab=200", "word_seq_len=8", "char_seq_len=32",
                           "batch_size=16", "prompts=4", "samples_per_prompt=1", "lr=0.003"))

if __name__ == "__main__":
    main(STUDY)
