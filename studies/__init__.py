"""One runnable script per report comparison, and the runner they share."""
