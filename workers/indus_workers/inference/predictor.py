"""Predictions for a chunk of examples: length-sorted batches, dynamic padding, mixed precision
on a GPU, smaller batches when memory runs out, and a stop check between batches."""
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import TypeVar

import numpy as np
import pyarrow as pa
import torch

from indus_workers.backbones.base import EncodedRows, example_lengths
from indus_workers.devices import DevicePlan
from indus_workers.heads.base import decodes_columns
from indus_workers.inference.outputs import flatten_prediction, prediction_columns
from indus_workers.inference.prefetch import Prefetcher
from indus_workers.model import IndusModel

# A batch also closes when its padded size would pass this many times the chunk's mean
# length x batch_size tokens: in the long tail of a length-skewed chunk, neighbouring lengths
# are far apart, and a full batch of them would be mostly padding.
TOKEN_BUDGET_FACTOR = 2.0
# Batches collated ahead of the one computing: enough for the host to stay ahead of a GPU,
# few enough that their memory does not matter.
BATCH_LOOKAHEAD = 2
# Raw output values (rows x labels, say) held on the device before they are decoded together.
HELD_OUTPUT_VALUES = 1 << 24

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

    def predict_columns(self, rows: EncodedRows) -> dict[str, pa.Array]:
        """Every row's prediction as output columns (named as `prediction_columns` names them),
        in the rows' order, batched as `predict` batches. Batches are collated from arrays on a
        background thread, ahead of the one computing, in pinned memory on a GPU. The raw
        outputs of consecutive batches stay on the device and are predicted, copied off and
        decoded together (`TaskHead.decode_columns`): one transfer, one wait and a few array
        operations for many batches, where a GPU would otherwise idle while the host decodes
        each. A head without `decode_columns` has each batch decoded to rows instead."""
        if not decodes_columns(self.model.head):
            decoded: list[dict | None] = [None] * len(rows)
            decode = self.model.head.decode
            for positions, batch_rows in self.map_rows(rows, lambda batch: decode(self.model.head_predictions(batch))):
                for position, prediction in zip(positions.tolist(), batch_rows):
                    decoded[position] = prediction
            return prediction_columns(decoded)
        order, parts, pending, held = [], [], [], 0
        for positions, outputs in self.map_rows(rows, self.model.inference_outputs):
            order.append(positions)
            pending.append(outputs)
            held += outputs.numel()
            if held >= HELD_OUTPUT_VALUES:
                parts.append(self._decoded(pending))
                pending, held = [], 0
        if pending:
            parts.append(self._decoded(pending))
        if not parts:
            return {}
        # Batches come shortest first: put the values back in row order with one take each.
        back = np.empty(len(rows), dtype=np.int64)
        back[np.concatenate(order)] = np.arange(len(rows))
        indices = pa.array(back)
        return {name: pa.concat_arrays([part[name] for part in parts]).take(indices) for name in parts[0]}

    def _decoded(self, outputs: list[torch.Tensor]) -> dict[str, pa.Array]:
        head = self.model.head
        if all(output.shape[1:] == outputs[0].shape[1:] for output in outputs):
            return flatten_prediction(head.decode_columns(self.model.predictions_of(torch.cat(outputs))))
        # Outputs shaped by the batch's padding do not concatenate: one batch at a time.
        parts = [flatten_prediction(head.decode_columns(self.model.predictions_of(output))) for output in outputs]
        return {name: pa.concat_arrays([part[name] for part in parts]) for name in parts[0]}

    def map_rows(self, rows: EncodedRows, compute: Callable[[dict[str, torch.Tensor]], T]) -> Iterator[tuple[np.ndarray, T]]:
        """`compute(batch)` for each collated batch of the rows, with the batch's positions; the
        next batches are collated on a background thread meanwhile (see `map_batches` for out
        of memory)."""
        pin_memory = self.plan.device.type == "cuda"
        lengths = rows.lengths

        def collated():
            for positions in self._cut(lengths, len(rows)):
                positions = np.asarray(positions, dtype=np.int64)
                yield positions, rows.collate(positions, pin_memory=pin_memory)

        with Prefetcher(collated(), lookahead=BATCH_LOOKAHEAD) as batches:
            for positions, batch in batches:
                if self.should_stop():
                    raise InferenceStopped

                def run(subset, whole=positions, ready=batch):
                    return compute(ready if subset is whole else rows.collate(subset, pin_memory=pin_memory))

                yield from self._compute(positions, run, lengths)

    def map_batches(self, examples: list[dict], compute: Callable[[list[dict]], T]) -> Iterator[tuple[list[int], T]]:
        """`compute(batch)` for each batch (as `predict` makes them), with the batch's positions
        among the examples. A batch that runs out of memory is computed in halves, each its own
        pair: `compute` must not assume it sees a whole batch."""
        lengths = example_lengths(examples)
        for positions in self.batches(examples):
            if self.should_stop():
                raise InferenceStopped
            yield from self._compute(positions, lambda subset: compute([examples[i] for i in subset]), lengths)

    def batches(self, examples: list[dict]) -> list[list[int]]:
        """Positions of the examples, shortest first, cut into batches of at most `batch_size`
        examples and of the token budget (examples without a length: the count alone)."""
        return self._cut(example_lengths(examples), len(examples))

    def _cut(self, lengths: np.ndarray | None, count: int) -> list[list[int]]:
        if lengths is None:
            return [list(range(start, min(start + self.batch_size, count))) for start in range(0, count, self.batch_size)]
        order = np.argsort(lengths, kind="stable").tolist()  # stable: equal lengths keep their order
        budget = TOKEN_BUDGET_FACTOR * self.batch_size * float(lengths.mean()) if count else 0
        sorted_lengths = lengths[order].tolist()
        batches: list[list[int]] = []
        start = 0
        for end, length in enumerate(sorted_lengths):
            # Sorted ascending: this example is the longest so far, the length all pad to.
            size = end - start
            if size and (size == self.batch_size or length * (size + 1) > budget):
                batches.append(order[start:end])
                start = end
        if count:
            batches.append(order[start:])
        return batches

    def _compute(self, positions: Sequence[int], run: Callable[[Sequence[int]], T], lengths: np.ndarray | None) -> list[tuple]:
        try:
            with self._precision():
                result = run(positions)
        except (torch.cuda.OutOfMemoryError, RuntimeError) as error:
            if not is_out_of_memory(error) or len(positions) == 1:
                raise
        else:
            self._count_tokens(lengths, positions)
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
        return self._compute(positions[:middle], run, lengths) + self._compute(positions[middle:], run, lengths)

    def _precision(self):
        if self.plan.uses_mixed_precision:
            return torch.autocast(device_type=self.plan.device.type, dtype=self.plan.dtype)
        return nullcontext()

    def _count_tokens(self, lengths: np.ndarray | None, positions: Sequence[int]) -> None:
        if lengths is not None and len(positions):
            batch = lengths[np.asarray(positions, dtype=np.int64)]
            self.real_tokens += int(batch.sum())
            self.padded_tokens += int(batch.max()) * len(batch)



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
