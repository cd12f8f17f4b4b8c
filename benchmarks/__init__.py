"""Speed and cost of running a study, measured as ratios side by side in one run (`make bench`)."""
