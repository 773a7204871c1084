"""One label of several (softmax) and any subset of labels (one sigmoid each)."""
import numpy as np
import pyarrow as pa
import torch
from torch import nn

from indus_workers.heads.base import TaskHead
from indus_workers.heads.labels import LabelIndex, label_columns, linear_scorer, probabilities_by_label
from indus_workers.task import ModelTask

MULTI_LABEL_THRESHOLD = 0.5


class ClassificationHead(TaskHead):
    """Softmax cross-entropy over the task's labels.

    `task.class_weights`, when present, is one weight per label in label order: rare classes
    can weigh more in the loss. The loss skips targets of -100, which lets the token tagging
    head reuse it as it is.
    """

    #: What a label is called in error messages and outputs.
    what = "label"

    def __init__(self, *, hidden_size: int, task: ModelTask):
        super().__init__(hidden_size=hidden_size, task=task)
        self.label_index = LabelIndex(self.labels, what=self.what)
        self.scorer = self.build_scorer(hidden_size, len(self.label_index))
        self.cross_entropy = nn.CrossEntropyLoss(weight=self._class_weights())

    def build_scorer(self, hidden_size: int, labels: int) -> nn.Module:
        return linear_scorer(hidden_size, labels)

    def _class_weights(self) -> torch.Tensor | None:
        weights = self.task.class_weights
        if weights is None:
            return None
        if len(weights) != len(self.label_index):
            raise ValueError(f"class_weights has {len(weights)} values for {len(self.label_index)} labels")
        return torch.tensor(weights, dtype=torch.float32)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.scorer(features)

    def encode_target(self, value) -> int:
        return self.label_index.id_of(value)

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.cross_entropy(outputs.reshape(-1, outputs.shape[-1]).float(), targets.reshape(-1))

    def predict(self, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        probabilities = outputs.float().softmax(dim=-1)
        return {"label": probabilities.argmax(dim=-1), "probabilities": probabilities}

    def decode(self, predictions: dict[str, torch.Tensor]) -> list[dict]:
        names = self.label_index.names
        return [
            {"label": names[label], "score": row[label], "probabilities": probabilities_by_label(names, row)}
            for label, row in zip(predictions["label"].tolist(), predictions["probabilities"].tolist())
        ]

    def decode_columns(self, predictions: dict[str, torch.Tensor]) -> dict:
        labels, probabilities = label_columns(self.label_index.names, predictions["label"], predictions["probabilities"])
        scores = predictions["probabilities"].gather(-1, predictions["label"].unsqueeze(-1)).squeeze(-1)
        return {"label": labels, "score": pa.array(scores.numpy().astype(np.float64)), "probabilities": probabilities}


class MultiLabelHead(TaskHead):
    """One sigmoid per label; a row's target is the list of its labels (possibly empty)."""

    def __init__(self, *, hidden_size: int, task: ModelTask):
        super().__init__(hidden_size=hidden_size, task=task)
        self.label_index = LabelIndex(self.labels)
        self.scorer = linear_scorer(hidden_size, len(self.label_index))
        self.binary_cross_entropy = nn.BCEWithLogitsLoss()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.scorer(features)

    def encode_target(self, value) -> list[float]:
        multi_hot = [0.0] * len(self.label_index)
        for index in self.label_index.ids_of(value, what="a multi-label target"):
            multi_hot[index] = 1.0
        return multi_hot

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.binary_cross_entropy(outputs.float(), targets.float())

    def predict(self, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        probabilities = outputs.float().sigmoid()
        return {"labels": probabilities >= MULTI_LABEL_THRESHOLD, "probabilities": probabilities}

    def decode(self, predictions: dict[str, torch.Tensor]) -> list[dict]:
        names = self.label_index.names
        return [
            {
                "labels": [name for name, chosen in zip(names, chosen_row) if chosen],
                "probabilities": probabilities_by_label(names, row),
            }
            for chosen_row, row in zip(predictions["labels"].tolist(), predictions["probabilities"].tolist())
        ]
