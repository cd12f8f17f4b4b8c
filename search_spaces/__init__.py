"""The parameter spaces of each study: arms (the scientific comparison), nuisance settings
(tuned per arm, by grid or Optuna), fixed settings, and how each profile scales them."""
