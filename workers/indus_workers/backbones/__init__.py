"""Backbones: pretrained or trainable encoders, each with the featurizer that feeds it."""
