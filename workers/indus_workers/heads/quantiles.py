"""Heads that predict quantiles of a number, trained with the pinball loss.

Quantile levels are sorted and the outputs increase along them by construction, so a 10% quantile
is never above the 90% one, during training as well as in predictions.
"""
import torch
from torch import nn

from indus_workers.heads.base import TaskHead
from indus_workers.heads.monotone import increasing
from indus_workers.heads.scaling import TargetScaler
from indus_workers.task import ModelTask

DEFAULT_QUANTILES = (0.1, 0.5, 0.9)


def pinball_loss(predicted: torch.Tensor, target: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Mean quantile loss: under-predicting quantile q costs q per unit, over-predicting 1 - q."""
    error = target - predicted
    return torch.maximum(levels * error, (levels - 1) * error).mean()


class QuantileOutputsHead(TaskHead):
    """Quantiles over `steps` future values of the target (steps=None: one value, no step axis).

    Targets are standardised with a TargetScaler fitted on the training targets; predictions are
    returned in the target's own unit.
    """

    def __init__(self, *, hidden_size: int, task: ModelTask, steps: int | None):
        super().__init__(hidden_size=hidden_size, task=task)
        levels = sorted(task.target.quantiles or DEFAULT_QUANTILES)
        self.register_buffer("levels", torch.tensor(levels, dtype=torch.float32))
        self.steps = steps
        self.scaler = TargetScaler()
        self.projection = nn.Linear(hidden_size, (steps or 1) * len(levels))

    def fit_targets(self, values: list) -> None:
        self.scaler.fit(values)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(batch, steps, quantiles), or (batch, quantiles) for one value; standardised."""
        raw = self.projection(features).reshape(features.shape[0], self.steps or 1, len(self.levels))
        quantiles = increasing(raw)
        return quantiles if self.steps else quantiles[:, 0]

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return pinball_loss(outputs.float(), targets.float().unsqueeze(-1), self.levels)

    def predict(self, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"quantiles": self.scaler.restore(outputs.float())}

    def decode(self, predictions: dict[str, torch.Tensor]) -> list[dict]:
        """{"value": the median (or the middle quantile), "quantiles": {"0.1": ..., ...}}; with
        steps, each value is a list over the steps."""
        names = [f"{level:g}" for level in self.levels.tolist()]
        middle = names.index("0.5") if "0.5" in names else len(names) // 2
        rows = []
        for row in predictions["quantiles"]:
            by_quantile = row.transpose(0, -1).tolist()  # quantiles first, then steps if any
            rows.append({"value": by_quantile[middle], "quantiles": dict(zip(names, by_quantile))})
        return rows
