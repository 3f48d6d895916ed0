"""Training: experiment configs, `run_experiment`, a trained model's mistakes and curves; from Lab 4, tracking,
the run registry, experiment groups on Ray, promotion. What a run measures afterwards lives in `reports/`."""
