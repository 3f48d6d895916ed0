"""Training: experiment configs, `run_experiment`, and evaluation helpers."""
