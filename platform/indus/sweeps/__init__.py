"""Hyperparameter sweeps: a `sweep` job asks Optuna for trials and runs each as a fine-tuning job."""
