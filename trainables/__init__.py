"""Model code and training loops. Nothing here imports Ray except `tune_session`."""
