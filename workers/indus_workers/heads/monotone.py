"""Outputs that are increasing by construction: quantiles that never cross, ordered thresholds."""
import torch
from torch.nn import functional


def increasing(raw: torch.Tensor) -> torch.Tensor:
    """Along the last dimension: the first value, then each next one a positive step (softplus)
    above it. Sorting after the fact would hide crossing from the loss; this never crosses."""
    steps = functional.softplus(raw[..., 1:])
    return torch.cat([raw[..., :1], raw[..., :1] + torch.cumsum(steps, dim=-1)], dim=-1)
