"""Scoring a saved model on labelled rows: what an `evaluate` job computes in the worker.

The rows go through the inference runtime (the reader and its type checks, the model cache, the
length-sorted batches under mixed precision that halve when memory runs out), so the model is
judged on the predictions batch inference would make. Each batch's head outputs become truth
and predictions as after fine-tuning (`training.predictions.evaluation_inputs`). Every
`FOLDED_ROWS` rows, the predictions so far become a mergeable partial
(`indus_workers.evaluation.evaluation_partial`: counts, sums, sketches) folded into the part's,
so memory does not grow with the rows, and `evaluation_from_partials` turns the partials into
the same metrics and reports as after fine-tuning. A large evaluation can be split by rows:
each part is `evaluate_rows` over its range, and `evaluation_result` of every part's outcome
is the job's result.

It lives with the inference runtime, not in `indus_workers.evaluation`, because that package is
numpy only (arrays in, JSON out) and this module drives torch models.
"""
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial as partial_function
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from indus.plugins.contract import JobInputError, Task
from indus_workers.backbones.base import RowFeaturizer
from indus_workers.backbones.time_series import WindowFeaturizer
from indus_workers.devices import choose_device
from indus_workers.evaluation import evaluation_from_partials, evaluation_partial
from indus_workers.evaluation.partials import merged
from indus_workers.events import RunEvents
from indus_workers.inference.cache import ModelCache, shared_cache
from indus_workers.inference.predictor import BatchPredictor, InferenceStopped, compute_threads
from indus_workers.inference.prefetch import Prefetcher
from indus_workers.inference.runner import CHUNK_ROWS, first_bad_row
from indus_workers.inference.source import InputSource
from indus_workers.model import IndusModel
from indus_workers.training.predictions import evaluation_inputs

# Predictions kept before they are folded into the part's partial: enough rows that folding
# (a sort per score table) costs little beside the model, few enough that memory stays flat.
FOLDED_ROWS = 65_536


@dataclass
class EvaluationSpec:
    model_dir: str  # a saved model folder (indus_workers.model.load_model reads it)
    input_path: str  # a local file with the model's input columns and its target column
    input_format: str = "parquet"  # "csv" | "jsonl" | "parquet"
    batch_size: int = 64


def evaluate_model(spec: EvaluationSpec, events: RunEvents, *, cache: ModelCache | None = None) -> dict:
    """Score the model on every row that has a target; return the JSON-ready result, or
    `{"stopped": True, ...}` when the run was asked to stop. Raises `JobInputError` for
    missing columns, a value of the wrong type, or a target the model cannot have predicted.
    The whole file is one part: `evaluate_rows`, then `evaluation_result` of that one part."""
    part = evaluate_rows(spec, events, cache=cache)
    if part["stopped"]:
        return part
    model = (shared_cache if cache is None else cache).get(spec.model_dir)
    result = evaluation_result(model.task, [part], events)
    events.log(f"scored {result['rows']} rows in {result['seconds']:.1f} s")
    events.progress(1.0, "done")
    return result


def evaluate_rows(
    spec: EvaluationSpec, events: RunEvents, *, first_row: int = 0, end_row: int | None = None,
    cache: ModelCache | None = None,
) -> dict:
    """Score rows [first_row, end_row) of the input (to its end when end_row is None), one part
    of an evaluation split by rows: the JSON-ready outcome holds the part's mergeable
    `partial` (counts, sums and sketches, not the predictions) for `evaluation_result`, or is
    `{"stopped": True, ...}`. A row that cannot be read fails the part only when it is in the
    range. A forecast reads its series whole, so it cannot be split (the job's runner asks
    `indus.inference.runner.splits_by_rows`, from the task, before loading the model)."""
    started = time.perf_counter()
    model = (shared_cache if cache is None else cache).get(spec.model_dir)
    task = model.task
    whole_file = _featurizes_whole_file(model)
    if whole_file and (first_row, end_row) != (0, None):
        raise ValueError(f"a {task.target.kind} model's evaluation reads its series whole: it cannot be split by rows")
    source = InputSource(spec.input_path, spec.input_format, list(task.model_columns), None, kept_columns=(task.target.column,))
    source.check()
    last_row = "the end" if end_row is None else end_row - 1
    rows_named = "" if (first_row, end_row) == (0, None) else f"rows {first_row} to {last_row} of "
    events.log(f"evaluating {task.name} on {rows_named}{Path(spec.input_path).name}")
    plan = choose_device()
    predictor = BatchPredictor(model, plan, batch_size=spec.batch_size, should_stop=events.should_stop)
    partial = evaluation_partial(task, [], {})  # nothing yet: merges as no rows
    collected = CollectedPredictions()
    rows_read = 0
    examples = _labelled_examples(source, model, whole_file=whole_file, first_row=first_row, end_row=end_row)
    try:
        with compute_threads(), Prefetcher(examples) as prefetched:
            for chunk_examples, rows_read in prefetched:
                for _, (truth, predictions) in predictor.map_batches(chunk_examples, partial_function(_scored_batch, model)):
                    collected.add(truth, predictions)
                if collected.rows >= FOLDED_ROWS:
                    partial, collected = merged([partial, _partial_of(task, collected)]), CollectedPredictions()
                done = rows_read / (end_row - first_row) if end_row is not None else source.fraction_read()
                events.progress(min(done, 0.99), f"{partial['rows'] + collected.rows} of {rows_read} rows scored")
    except InferenceStopped:
        events.log(f"stopped after scoring {partial['rows'] + collected.rows} rows")
        return {"stopped": True, "rows": partial["rows"] + collected.rows}
    partial = merged([partial, _partial_of(task, collected)])
    return {
        "stopped": False,
        "partial": partial,
        "rows": partial["rows"],  # scored: rows with a target (a forecast's windows)
        "rows_read": rows_read,
        "rows_without_target": None if whole_file else rows_read - partial["rows"],
        "seconds": time.perf_counter() - started,
        "real_tokens": predictor.real_tokens,
        "padded_tokens": predictor.padded_tokens,
        "out_of_memory_splits": predictor.out_of_memory_splits,
    }


def evaluation_result(task: Task, parts: list[dict], events: RunEvents | None = None) -> dict:
    """The evaluate job's JSON-ready result from its parts' outcomes (`evaluate_rows`, in row
    order, none stopped): the metrics and reports of all their rows, as one pass would give
    them; each metric is also recorded as a point of the job's metric series when `events` is
    given. Raises `JobInputError` when no row had a target."""
    rows = sum(part["rows"] for part in parts)
    if not rows:
        raise JobInputError(f"column {task.target.column!r} (the target) has no values: there is nothing to score")
    try:
        evaluation = evaluation_from_partials(task, [part["partial"] for part in parts])
    except ValueError as error:
        raise JobInputError(f"the predictions cannot be scored: {error}") from None
    if events is not None:
        for name, value in evaluation.metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                events.metric(name, 0, float(value))
    real_tokens, padded_tokens = (sum(part[name] for part in parts) for name in ("real_tokens", "padded_tokens"))
    without_target = [part["rows_without_target"] for part in parts]
    return {
        "stopped": False,
        "metrics": evaluation.metrics,
        "reports": evaluation.reports,
        "unsupported_metrics": evaluation.unsupported,
        "rows": rows,  # scored: rows with a target (a forecast's windows)
        "rows_read": sum(part["rows_read"] for part in parts),
        "rows_without_target": None if None in without_target else sum(without_target),
        "seconds": sum(part["seconds"] for part in parts),  # of scoring, over every part
        "padding_share": 1 - real_tokens / padded_tokens if padded_tokens else None,
        "out_of_memory_splits": sum(part["out_of_memory_splits"] for part in parts),
    }


def _partial_of(task: Task, collected: "CollectedPredictions") -> dict:
    try:
        return evaluation_partial(task, *collected.joined()) if collected.rows else evaluation_partial(task, [], {})
    except ValueError as error:
        raise JobInputError(f"the predictions cannot be scored: {error}") from None


def _featurizes_whole_file(model: IndusModel) -> bool:
    """A forecast's windows run across chunk boundaries, so its series are featurized whole;
    other models make one example per row, chunk by chunk."""
    if isinstance(model.featurizer, WindowFeaturizer):
        return True
    if isinstance(model.featurizer, RowFeaturizer):
        return False
    raise JobInputError(f"evaluation does not know the featurizer {type(model.featurizer).__name__}")


def _labelled_examples(
    source: InputSource, model: IndusModel, *, whole_file: bool, first_row: int, end_row: int | None
) -> Iterator[tuple[list[dict], int]]:
    """Runs on the prefetch thread: read, check and featurize the rows [first_row, end_row)
    (with each row's encoded target; rows without one are left out), yielding the examples and
    the rows of the range read so far."""
    tables = []
    rows_read = 0
    for chunk in source.chunks(chunk_rows=CHUNK_ROWS, part_rows=CHUNK_ROWS, rows=(first_row, end_row)):
        if chunk.errors:
            # Metrics over the rows that happen to parse would describe some other data set.
            raise JobInputError(first_bad_row(chunk))
        rows_read = chunk.end_row - first_row
        if whole_file:
            tables.append(chunk.table)
        else:
            yield _featurized(model, chunk.table), rows_read
    if tables:
        yield _featurized(model, pa.concat_tables(tables, promote_options="permissive")), rows_read


def _featurized(model: IndusModel, table: pa.Table) -> list[dict]:
    try:
        return model.featurize(table)
    except ValueError as error:  # a class the model does not know, a target that is no number...
        raise JobInputError(f"column {model.task.target.column!r} (the target): {error}") from None


def _scored_batch(model: IndusModel, examples: list[dict]) -> tuple:
    """One batch's truth and predictions as `evaluate` reads them, from the head's raw outputs
    and the encoded targets: the same conversion as for the test split after fine-tuning."""
    batch = model.collate(examples)
    with torch.inference_mode():
        outputs = model.raw_outputs(batch).float().cpu().numpy()
    return evaluation_inputs(model.task, model.head, outputs, batch["labels"].numpy())


class CollectedPredictions:
    """The truth and predictions of the batches since the last fold into the part's partial,
    joined for `evaluation_partial`: arrays end to end, lists (token tags, one list per
    sentence) as one list."""

    def __init__(self):
        self.truth: list = []
        self.predictions: dict[str, list] = {}
        self.rows = 0

    def add(self, truth, predictions: dict) -> None:
        self.truth.append(truth)
        self.rows += len(truth)
        for key, value in predictions.items():
            self.predictions.setdefault(key, []).append(value)

    def joined(self) -> tuple:
        return _joined(self.truth), {key: _joined(parts) for key, parts in self.predictions.items()}


def _joined(parts: list):
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)
    return [item for part in parts for item in part]
