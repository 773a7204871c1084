"""Loaded models kept in the worker process between jobs.

A batch-inference worker often runs the same model version job after job; loading it (a
tokenizer, the weights) every time would cost seconds per job. The key holds the weights file's
modification time, so a model folder rewritten in place is loaded afresh. The serving process
holds many models at once: there the cache is bounded by the bytes the models' tensors take too.
"""
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import torch

from indus_workers.devices import choose_device
from indus_workers.inference.quantization import quantized_copy
from indus_workers.model import WEIGHTS_FILE, IndusModel, load_model

DEFAULT_MAX_MODELS = 2


def model_bytes(model: torch.nn.Module) -> int:
    """The bytes of a model's weights and buffers, where they live (a quantised copy counts its
    packed weights only as far as torch exposes them)."""
    tensors = [*model.parameters(), *model.buffers()]
    return sum(tensor.numel() * tensor.element_size() for tensor in tensors)


class ModelCache:
    """The `max_models` most recently used models (least recently used evicted first), and with
    `max_bytes` no more than that many bytes of weights (the model just loaded always stays).
    `on_evict(key)` is told each evicted key, so a holder of the model can drop its own
    references: the budget is only kept if nothing else keeps an evicted model alive."""

    def __init__(
        self, max_models: int = DEFAULT_MAX_MODELS, *, device: str | torch.device | None = None, max_bytes: int | None = None,
        on_evict: Callable[[tuple], None] = lambda key: None, weights_dtype: torch.dtype = torch.float32,
    ):
        self.max_models = max_models
        self.weights_dtype = weights_dtype
        self.on_evict = on_evict
        self.max_bytes = max_bytes
        self._sizes: dict[tuple, int] = {}
        self._device = torch.device(device) if device is not None else None
        self._models: OrderedDict[tuple, IndusModel] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def device(self) -> torch.device:
        # Chosen on first use, not at import: importing the worker must not touch CUDA.
        if self._device is None:
            self._device = choose_device().device
        return self._device

    @staticmethod
    def key(model_dir: str, int8: bool) -> tuple:
        folder = Path(model_dir).resolve()
        return (str(folder), (folder / WEIGHTS_FILE).stat().st_mtime_ns, int8)

    def get(self, model_dir: str, *, int8: bool = False) -> IndusModel:
        """The model, in eval mode; with `int8`, its dynamically quantised copy (on the CPU)."""
        if int8 and self.weights_dtype != torch.float32:
            raise ValueError(f"int8 copies are quantised from float32 weights; this cache holds {self.weights_dtype}")
        key = self.key(model_dir, int8)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        model = quantized_copy(self.get(model_dir)) if int8 else load_model(model_dir, device=self.device, weights_dtype=self.weights_dtype)
        size = model_bytes(model)
        evicted_keys = []
        with self._lock:
            self._models[key] = model
            self._sizes[key] = size
            self._models.move_to_end(key)
            while len(self._models) > 1 and (
                len(self._models) > self.max_models or (self.max_bytes is not None and self.bytes_held > self.max_bytes)
            ):
                evicted, _ = self._models.popitem(last=False)
                self._sizes.pop(evicted, None)
                evicted_keys.append(evicted)
        for evicted in evicted_keys:
            self.on_evict(evicted)
        return model

    def holds(self, model_dir: str, *, int8: bool = False) -> bool:
        """Whether `get` would answer without loading (a stale folder's old entry does not count)."""
        try:
            return self.key(model_dir, int8) in self._models
        except FileNotFoundError:
            return False

    @property
    def bytes_held(self) -> int:
        return sum(self._sizes.get(key, 0) for key in self._models)

    def __len__(self) -> int:
        return len(self._models)


#: The worker process's cache, used when a job is given none.
shared_cache = ModelCache()
