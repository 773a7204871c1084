"""The contract every head fulfils, built-in or from a plugin.

A head is built as `HeadClass(hidden_size=..., task=...)`, where `task` is the typed task
(`indus_workers.task.ModelTask`, a `Task` of the plugin contract) with `task.target.labels`
filled from the training data where the plugin
could not know them (a ranking catalogue, say). The training and inference runtimes only ever
call the methods below, so a plugin's head is a drop-in.
"""
from typing import Any

import torch
from torch import nn

from indus_workers.task import ModelTask


def decodes_columns(head: "TaskHead") -> bool:
    """Whether `head.decode_columns` speaks for its `decode`: both defined by the same class.
    A subclass that changes `decode` alone (the ranking head is a classification head with
    its own decoder) gets its rows decoded by its own `decode`."""
    def defining(name: str) -> type:
        return next(klass for klass in type(head).__mro__ if name in vars(klass))
    return defining("decode") is defining("decode_columns")


class TaskHead(nn.Module):
    #: True when the head reads one vector per token, (batch, tokens, hidden), not one per row.
    token_level: bool = False

    def __init__(self, *, hidden_size: int, task: ModelTask):
        super().__init__()
        self.hidden_size = hidden_size
        self.task = task

    @property
    def labels(self) -> list[str]:
        return list(self.task.target.labels)

    def fit_targets(self, values: list) -> None:
        """Learn what encoding targets needs from the training rows' target column, before
        `encode_target` is first called (a regression head's mean and scale, say). What it
        learns must live in buffers, so that it is saved and loaded with the weights."""

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Raw outputs (logits, values) from the backbone's features."""
        raise NotImplementedError

    def encode_target(self, value: Any) -> Any:
        """One row's target as stored in the dataset -> what `loss` receives for that row
        (an int, a float, or a list of them). Raise ValueError naming the value if it is invalid."""
        raise NotImplementedError

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def predict(self, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Predictions by name (e.g. `label` and `probabilities`), batch first."""
        raise NotImplementedError

    def decode(self, predictions: dict[str, torch.Tensor]) -> list[dict]:
        """Per-row, JSON-ready predictions for output files and reports (label names, not ids)."""
        raise NotImplementedError

    def decode_columns(self, predictions: dict[str, torch.Tensor]) -> dict | None:
        """What `decode` returns, as columns: the same keys, each holding an Arrow array with
        one value per row (a dict of them where a row holds a dict), values equal to `decode`'s.
        Batch inference writes its output from them with no per-row work. None, the default,
        makes it build the columns from `decode`'s rows instead."""
        return None
