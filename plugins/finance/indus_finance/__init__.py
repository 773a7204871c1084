"""Indus finance plugin: credit scoring, card fraud detection and financial news sentiment.

`indus_finance.plugin` declares the tasks and their sample datasets (it imports neither numpy
nor torch); `indus_finance.samples` generates the sample data on a cpu worker.
"""
