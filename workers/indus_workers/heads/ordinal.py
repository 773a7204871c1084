"""Ordered levels (risk bands, severities) with cumulative logits, CORAL-style.

One score per row and K-1 thresholds shared by every row: P(level > k) = sigmoid(score -
threshold_k). The thresholds are increasing by construction, so these probabilities fall with
k and every per-level probability is non-negative. Getting a level wrong by one costs less than
by three, which a plain softmax cannot express.
"""
import torch
from torch import nn

from indus_workers.heads.base import TaskHead
from indus_workers.heads.labels import LabelIndex, label_columns, linear_scorer, probabilities_by_label
from indus_workers.heads.monotone import increasing
from indus_workers.task import ModelTask


class OrdinalHead(TaskHead):
    def __init__(self, *, hidden_size: int, task: ModelTask):
        super().__init__(hidden_size=hidden_size, task=task)
        self.level_index = LabelIndex(self.labels, what="level")  # lowest first
        self.scorer = linear_scorer(hidden_size, 1)
        self.raw_thresholds = nn.Parameter(torch.zeros(len(self.level_index) - 1))
        self.binary_cross_entropy = nn.BCEWithLogitsLoss()

    @property
    def thresholds(self) -> torch.Tensor:
        return increasing(self.raw_thresholds)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(batch, levels - 1): the logit of "above level k" for each k."""
        return self.scorer(features) - self.thresholds

    def encode_target(self, value) -> int:
        return self.level_index.id_of(value)

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        ranks = torch.arange(outputs.shape[-1], device=outputs.device)
        above = (targets.unsqueeze(-1) > ranks).float()
        return self.binary_cross_entropy(outputs.float(), above)

    def predict(self, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        above = outputs.float().sigmoid()
        ones = torch.ones_like(above[..., :1])
        # P(level = k) = P(level > k - 1) - P(level > k), with P(level > -1) = 1 and P(level > K-1) = 0.
        probabilities = torch.cat([ones, above], dim=-1) - torch.cat([above, 1 - ones], dim=-1)
        return {"level": probabilities.argmax(dim=-1), "probabilities": probabilities}

    def decode(self, predictions: dict[str, torch.Tensor]) -> list[dict]:
        names = self.level_index.names
        return [
            {"level": names[level], "probabilities": probabilities_by_label(names, row)}
            for level, row in zip(predictions["level"].tolist(), predictions["probabilities"].tolist())
        ]

    def decode_columns(self, predictions: dict[str, torch.Tensor]) -> dict:
        levels, probabilities = label_columns(self.level_index.names, predictions["level"], predictions["probabilities"])
        return {"level": levels, "probabilities": probabilities}
