"""Target standardisation for numeric heads.

The head owns it, not the featurizer: the head is what turns targets into loss inputs and
outputs back into predictions, so both directions live in one place. The mean and scale are
fitted on the training targets (`TaskHead.fit_targets`) and kept in buffers, so they are saved
in the safetensors file with the weights. Standardised targets keep the loss near 1 whatever
the unit (euros or millions of euros), so one learning rate suits every task.
"""
import math

import numpy as np
import torch
from torch import nn


def finite_number(value, *, what: str = "target") -> float:
    if isinstance(value, bool):
        raise ValueError(f"{what} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r} is not a finite number")
    return number


class TargetScaler(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(0.0))
        self.register_buffer("scale", torch.tensor(1.0))

    def fit(self, values: list) -> None:
        numbers = np.asarray([float(value) for value in values if value is not None], dtype=np.float64)
        numbers = numbers[np.isfinite(numbers)]
        if not numbers.size:
            return
        spread = float(numbers.std())
        self.mean.fill_(float(numbers.mean()))
        self.scale.fill_(spread if spread > 0 else 1.0)

    def standardise(self, number: float) -> float:
        return (number - self.mean.item()) / self.scale.item()

    def restore(self, outputs: torch.Tensor) -> torch.Tensor:
        return outputs * self.scale + self.mean
