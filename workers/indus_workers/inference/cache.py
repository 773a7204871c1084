"""Loaded models kept in the worker process between jobs.

A batch-inference worker often runs the same model version job after job; loading it (a
tokenizer, the weights) every time would cost seconds per job. The key holds the weights file's
modification time, so a model folder rewritten in place is loaded afresh.
"""
import threading
from collections import OrderedDict
from pathlib import Path

import torch

from indus_workers.devices import choose_device
from indus_workers.inference.quantization import quantized_copy
from indus_workers.model import WEIGHTS_FILE, IndusModel, load_model

DEFAULT_MAX_MODELS = 2


class ModelCache:
    """The `max_models` most recently used models (least recently used evicted first)."""

    def __init__(self, max_models: int = DEFAULT_MAX_MODELS, *, device: str | torch.device | None = None):
        self.max_models = max_models
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
        key = self.key(model_dir, int8)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        model = quantized_copy(self.get(model_dir)) if int8 else load_model(model_dir, device=self.device)
        with self._lock:
            self._models[key] = model
            self._models.move_to_end(key)
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
        return model

    def __len__(self) -> int:
        return len(self._models)


#: The worker process's cache, used when a job is given none.
shared_cache = ModelCache()
