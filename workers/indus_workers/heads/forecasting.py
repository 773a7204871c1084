"""The next `horizon` values of a time series, each with quantiles (0.1, 0.5, 0.9 by default).

A target is the list of the `horizon` values that follow a window; the time-series featurizer
cuts them out of the series (see `indus_workers.backbones.time_series`).
"""
from indus_workers.heads.quantiles import QuantileOutputsHead
from indus_workers.heads.scaling import finite_number
from indus_workers.task import ModelTask


class ForecastingHead(QuantileOutputsHead):
    def __init__(self, *, hidden_size: int, task: ModelTask):
        super().__init__(hidden_size=hidden_size, task=task, steps=task.target.horizon)

    def encode_target(self, value) -> list[float]:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != self.steps:
            raise ValueError(f"a forecast target must be a list of {self.steps} numbers (the horizon), got {value!r}")
        return [self.scaler.standardise(finite_number(step, what="forecast value")) for step in value]
