"""Predictions for a chunk of examples: length-sorted batches, dynamic padding, mixed precision
on a GPU, smaller batches when memory runs out, and a stop check between batches."""
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TypeVar

import torch

from indus_workers.devices import DevicePlan
from indus_workers.model import IndusModel


# A batch also closes when its padded size would pass this many times the chunk's mean
# length x batch_size tokens: in the long tail of a length-skewed chunk, neighbouring lengths
# are far apart, and a full batch of them would be mostly padding.
TOKEN_BUDGET_FACTOR = 2.0

T = TypeVar("T")


class InferenceStopped(Exception):
    """The job was asked to stop; finished parts are kept."""


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.cuda.OutOfMemoryError) or (isinstance(error, RuntimeError) and "out of memory" in str(error))


class BatchPredictor:
    def __init__(self, model: IndusModel, plan: DevicePlan, *, batch_size: int, should_stop: Callable[[], bool]):
        self.model = model
        self.plan = plan
        self.batch_size = batch_size
        self.should_stop = should_stop
        self.real_tokens = 0
        self.padded_tokens = 0
        self.out_of_memory_splits = 0

    @property
    def padding_share(self) -> float | None:
        """Padding tokens over all tokens fed to the model; None when inputs are not padded."""
        return 1 - self.real_tokens / self.padded_tokens if self.padded_tokens else None

    def predict(self, examples: list[dict]) -> list[dict]:
        """One JSON-ready prediction per example, in the examples' order. Examples are batched
        shortest first, so each batch pads to a length close to all of its members'."""
        predictions: list[dict | None] = [None] * len(examples)
        for positions, rows in self.map_batches(examples, self.model.predict_rows):
            for position, prediction in zip(positions, rows):
                predictions[position] = prediction
        return predictions

    def map_batches(self, examples: list[dict], compute: Callable[[list[dict]], T]) -> Iterator[tuple[list[int], T]]:
        """`compute(batch)` for each batch (as `predict` makes them), with the batch's positions
        among the examples. A batch that runs out of memory is computed in halves, each its own
        pair: `compute` must not assume it sees a whole batch."""
        for positions in self.batches(examples):
            if self.should_stop():
                raise InferenceStopped
            yield from self._compute_batch(examples, positions, compute)

    def batches(self, examples: list[dict]) -> list[list[int]]:
        """Positions of the examples, shortest first, cut into batches of at most `batch_size`
        examples and of the token budget (examples without a length: the count alone)."""
        lengths = [example.get("length", 0) for example in examples]
        order = sorted(range(len(examples)), key=lengths.__getitem__)
        budget = TOKEN_BUDGET_FACTOR * self.batch_size * (sum(lengths) / len(lengths)) if examples else 0
        batches: list[list[int]] = []
        batch: list[int] = []
        for position in order:
            # Sorted ascending: this example is the longest so far, the length all pad to.
            if batch and (len(batch) == self.batch_size or lengths[position] * (len(batch) + 1) > budget):
                batches.append(batch)
                batch = []
            batch.append(position)
        if batch:
            batches.append(batch)
        return batches

    def _compute_batch(
        self, examples: list[dict], positions: list[int], compute: Callable[[list[dict]], T]
    ) -> list[tuple[list[int], T]]:
        batch = [examples[i] for i in positions]
        try:
            with self._precision():
                result = compute(batch)
        except (torch.cuda.OutOfMemoryError, RuntimeError) as error:
            if not is_out_of_memory(error) or len(batch) == 1:
                raise
        else:
            self._count_tokens(batch)
            return [(positions, result)]
        # Long texts can make one batch too big for the device: halve it rather than fail the
        # job, and keep halving as long as a half still does not fit. The halves run after the
        # `except` block, not in it: there the error's traceback still holds the failed
        # attempt's frames and the activations they had on the device, so each half would find
        # that memory taken and fail again.
        self.out_of_memory_splits += 1
        if self.plan.device.type == "cuda":
            torch.cuda.empty_cache()
        middle = len(positions) // 2
        return (self._compute_batch(examples, positions[:middle], compute)
                + self._compute_batch(examples, positions[middle:], compute))

    def _precision(self):
        if self.plan.uses_mixed_precision:
            return torch.autocast(device_type=self.plan.device.type, dtype=self.plan.dtype)
        return nullcontext()

    def _count_tokens(self, examples: list[dict]) -> None:
        lengths = [example["length"] for example in examples if "length" in example]
        if lengths:
            self.real_tokens += sum(lengths)
            self.padded_tokens += max(lengths) * len(lengths)


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextmanager
def compute_threads():
    """Torch's intra-op threads for one job: every core this process may use. Tokenising the
    next chunk on the prefetch thread is a small share of the work (the Rust tokenizer releases
    the GIL), so it fits in the gaps; keeping a core back for it halved throughput on an idle
    two-core machine (243 against 442 rows/s with MiniLM). Slowdowns seen with all cores came
    from other processes on the same cores, which no setting here can fix. The worker's own
    setting comes back afterwards."""
    cores = available_cores()
    previous = torch.get_num_threads()
    torch.set_num_threads(cores)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
