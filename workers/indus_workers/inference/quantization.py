"""int8 inference on the CPU: a dynamically quantised copy, trusted only after it agrees with full
precision on a sample of the job's own rows.

Dynamic quantisation stores the weights of every `nn.Linear` as int8 and quantises activations
on the fly; most of a transformer's time is in those layers, so CPU inference gets faster.
Predictions can change near a decision boundary, so before a job uses the copy both models
predict a sample of its rows, and below the agreement threshold the job runs in full precision.
"""
import copy
import math
import warnings

import numpy as np
import torch
from torch import nn
from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear
from torch.ao.quantization import per_channel_dynamic_qconfig

from indus_workers.model import IndusModel

AGREEMENT_THRESHOLD = 0.99
SAMPLE_ROWS = 512
# A number agrees when within 1% of its size or of the sample's spread, whichever is larger.
RELATIVE_TOLERANCE = 0.01
# The prediction field that is the decision, for heads that decide (first one present).
DECISION_KEYS = ("label", "level", "labels", "items", "tags")


class FullRangeDynamicLinear(DynamicLinear):
    """A dynamically quantised `nn.Linear` that quantises its input to all 8 bits.

    torch's own module quantises activations to 7 bits (`reduce_range`): without VNNI, x86 int8
    kernels add pairs of u8 x s8 products in 16 bits, which full-range inputs can saturate. VNNI
    adds them in 32 bits, so there the eighth bit is safe, and it halves the rounding error of
    every activation: on a fine-tuned MiniLM over 1,000 held-out support messages, 99.9% of
    decisions stayed the same against 99.1% with 7 bits, at the same speed.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic(x, self._packed_params._packed_params, reduce_range=False).to(x.dtype)


def cpu_has_vnni() -> bool:
    # A private helper of torch's, the only probe it offers; a torch without it gets 7 bits.
    return bool(getattr(torch.cpu, "_is_vnni_supported", lambda: False)())


def quantized_copy(model: IndusModel) -> IndusModel:
    cpu_copy = copy.deepcopy(model).cpu().eval()
    linear = FullRangeDynamicLinear if cpu_has_vnni() else DynamicLinear
    with warnings.catch_warnings():
        # torch.ao's eager quantisation is deprecated in favour of torchao, which this
        # worker does not install; the API still works and is what the job uses.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        # One scale per output channel, not per matrix: as fast, and on a fine-tuned MiniLM it
        # kept 95.6% of decisions against 90.9% (1,000 texts of random shop words).
        return torch.ao.quantization.quantize_dynamic(
            cpu_copy, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, mapping={nn.Linear: linear}, inplace=True
        )


def _numbers(prediction: dict) -> list[float]:
    value = prediction["value"]
    return [float(value)] if not isinstance(value, list) else [float(step) for step in value]


def agreement(reference: list[dict], candidate: list[dict]) -> float:
    """The share of rows whose decision is the same (a label, a level, top items, tags), or for
    numeric heads whose value is within the tolerance."""
    if not reference:
        return 1.0
    decision = next((key for key in DECISION_KEYS if key in reference[0]), None)
    if decision is not None:
        same = [expected[decision] == got[decision] for expected, got in zip(reference, candidate, strict=True)]
    else:
        spread = float(np.std([number for prediction in reference for number in _numbers(prediction)]))
        same = [
            all(
                math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=RELATIVE_TOLERANCE * spread)
                for a, b in zip(_numbers(expected), _numbers(got))
            )
            for expected, got in zip(reference, candidate, strict=True)
        ]
    return sum(same) / len(same)
