"""Choosing the device and the numeric precision a job runs with."""
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DevicePlan:
    device: torch.device
    dtype: torch.dtype  # the autocast precision; float32 means no autocast

    @property
    def uses_mixed_precision(self) -> bool:
        return self.dtype != torch.float32


def choose_device(preferred: str | None = None) -> DevicePlan:
    """CUDA when present (bf16 where the GPU supports it, else fp16), then Apple MPS, then CPU."""
    name = preferred or ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    else:
        dtype = torch.float32
    return DevicePlan(device=device, dtype=dtype)


def visible_gpu_count() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0
