"""Evaluate jobs: scoring a registered model version on a labelled dataset version."""
