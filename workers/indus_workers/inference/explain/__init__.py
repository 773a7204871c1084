"""Explanations for the rows a user asks about, computed with captum.

Text: the tokens that drove the prediction (integrated gradients on the word embeddings).
Tabular: reason codes, the features that pushed the prediction up, each with its signed
contribution (feature ablation). A text + tabular model gets both. Token tagging and
forecasting have no row-level explanation here.
"""
from indus_workers.inference.explain.rows import ExplanationUnsupported, explain_rows

__all__ = ["ExplanationUnsupported", "explain_rows"]
