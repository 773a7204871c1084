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

    @property
    def inference_weights_dtype(self) -> torch.dtype:
        """What a model loaded only to predict holds its weights in: on a CPU, the autocast
        precision, which autocast would otherwise cast every weight to again at each forward;
        float32 elsewhere (on a GPU the saving is unmeasured)."""
        return self.dtype if self.device.type == "cpu" else torch.float32


#: What `choose_device` may be asked to compute in on a CPU ("auto": bf16 where the CPU multiplies it natively).
CPU_PRECISIONS = {"float32": torch.float32, "bfloat16": torch.bfloat16, "auto": None}


def choose_device(preferred: str | None = None, *, cpu_precision: str = "float32") -> DevicePlan:
    """CUDA when present (bf16 where the GPU supports it, else fp16), then Apple MPS, then CPU:
    in `cpu_precision` there (full precision unless asked: bf16 rounds probabilities by about
    1e-2, so a CPU computes as the training did unless its operator chooses speed)."""
    if cpu_precision not in CPU_PRECISIONS:  # refused on any machine, not only where a CPU computes
        raise ValueError(f"CPU precision {cpu_precision!r} is not one of {', '.join(CPU_PRECISIONS)}")
    name = preferred or ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    elif device.type == "cpu":
        dtype = CPU_PRECISIONS[cpu_precision] or (torch.bfloat16 if cpu_multiplies_bf16_natively() else torch.float32)
    else:
        dtype = torch.float32
    return DevicePlan(device=device, dtype=dtype)


def cpu_multiplies_bf16_natively() -> bool:
    """AVX512-BF16 or AMX: a batched bf16 forward there runs several times faster than in fp32;
    elsewhere bf16 is emulated, and slower."""
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def visible_gpu_count() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0
