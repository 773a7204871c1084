"""One real number: mean squared error, or quantiles with the pinball loss.

Target standardisation is the head's job (see `indus_workers.heads.scaling`): targets are
standardised with the training mean and spread, predictions come back in the target's unit.
"""
import numpy as np
import pyarrow as pa
import torch
from torch import nn

from indus_workers.heads.base import TaskHead
from indus_workers.heads.labels import DROPOUT
from indus_workers.heads.quantiles import QuantileOutputsHead
from indus_workers.heads.scaling import TargetScaler, finite_number
from indus_workers.task import ModelTask


class RegressionHead(TaskHead):
    def __init__(self, *, hidden_size: int, task: ModelTask):
        super().__init__(hidden_size=hidden_size, task=task)
        self.scaler = TargetScaler()
        self.regressor = nn.Sequential(nn.Dropout(DROPOUT), nn.Linear(hidden_size, 1))
        self.mean_squared_error = nn.MSELoss()

    def fit_targets(self, values: list) -> None:
        self.scaler.fit(values)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.regressor(features).squeeze(-1)

    def encode_target(self, value) -> float:
        return self.scaler.standardise(finite_number(value))

    def loss(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.mean_squared_error(outputs.float(), targets.float())

    def predict(self, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"value": self.scaler.restore(outputs.float())}

    def decode(self, predictions: dict[str, torch.Tensor]) -> list[dict]:
        return [{"value": value} for value in predictions["value"].tolist()]

    def decode_columns(self, predictions: dict[str, torch.Tensor]) -> dict:
        return {"value": pa.array(predictions["value"].numpy().astype(np.float64))}


class QuantileHead(QuantileOutputsHead):
    """A number with prediction intervals: the quantiles in `task.target.quantiles`."""

    def __init__(self, *, hidden_size: int, task: ModelTask):
        super().__init__(hidden_size=hidden_size, task=task, steps=None)

    def encode_target(self, value) -> float:
        return self.scaler.standardise(finite_number(value))
