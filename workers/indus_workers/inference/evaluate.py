"""Scoring a saved model on labelled rows: what an `evaluate` job computes in the worker.

The rows go through the inference runtime (the reader and its type checks, the model cache, the
length-sorted batches under mixed precision that halve when memory runs out), so the model is
judged on the predictions batch inference would make. Each batch's head outputs become truth
and predictions as after fine-tuning (`training.predictions.evaluation_inputs`), and
`indus_workers.evaluation.evaluate` turns them into the same metrics and reports. Only those
compact predictions (probabilities, values, tags) are kept until the end, not the rows.

It lives with the inference runtime, not in `indus_workers.evaluation`, because that package is
numpy only (arrays in, JSON out) and this module drives torch models.
"""
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

from indus.plugins.contract import JobInputError
from indus_workers.backbones.base import RowFeaturizer
from indus_workers.backbones.time_series import WindowFeaturizer
from indus_workers.devices import choose_device
from indus_workers.evaluation import evaluate
from indus_workers.events import RunEvents
from indus_workers.inference.cache import ModelCache, shared_cache
from indus_workers.inference.predictor import BatchPredictor, InferenceStopped, compute_threads
from indus_workers.inference.prefetch import Prefetcher
from indus_workers.inference.runner import CHUNK_ROWS, first_bad_row
from indus_workers.inference.source import InputSource
from indus_workers.model import IndusModel
from indus_workers.training.predictions import evaluation_inputs


@dataclass
class EvaluationSpec:
    model_dir: str  # a saved model folder (indus_workers.model.load_model reads it)
    input_path: str  # a local file with the model's input columns and its target column
    input_format: str = "parquet"  # "csv" | "jsonl" | "parquet"
    batch_size: int = 64


def evaluate_model(spec: EvaluationSpec, events: RunEvents, *, cache: ModelCache | None = None) -> dict:
    """Score the model on every row that has a target; return the JSON-ready result, or
    `{"stopped": True, ...}` when the run was asked to stop. Raises `JobInputError` for
    missing columns, a value of the wrong type, or a target the model cannot have predicted."""
    started = time.perf_counter()
    model = (shared_cache if cache is None else cache).get(spec.model_dir)
    task = model.task
    target_column = task.target.column
    whole_file = _featurizes_whole_file(model)
    source = InputSource(spec.input_path, spec.input_format, list(task.model_columns), None, kept_columns=(target_column,))
    source.check()
    events.log(f"evaluating {task.name} on {Path(spec.input_path).name}")
    plan = choose_device()
    predictor = BatchPredictor(model, plan, batch_size=spec.batch_size, should_stop=events.should_stop)
    collected = CollectedPredictions()
    rows_read = 0
    examples = _labelled_examples(source, model, whole_file=whole_file)
    try:
        with compute_threads(), Prefetcher(examples) as prefetched:
            for chunk_examples, rows_read in prefetched:
                for _, (truth, predictions) in predictor.map_batches(chunk_examples, partial(_scored_batch, model)):
                    collected.add(truth, predictions)
                events.progress(min(source.fraction_read(), 0.99), f"{collected.rows} of {rows_read} rows scored")
    except InferenceStopped:
        events.log(f"stopped after scoring {collected.rows} rows")
        return {"stopped": True, "rows": collected.rows}
    if not collected.rows:
        raise JobInputError(f"column {target_column!r} (the target) has no values: there is nothing to score")
    try:
        evaluation = evaluate(task, *collected.joined())
    except ValueError as error:
        raise JobInputError(f"the predictions cannot be scored: {error}") from None
    for name, value in evaluation.metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            events.metric(name, 0, float(value))
    seconds = time.perf_counter() - started
    result = {
        "stopped": False,
        "metrics": evaluation.metrics,
        "reports": evaluation.reports,
        "unsupported_metrics": evaluation.unsupported,
        "rows": collected.rows,  # scored: rows with a target (a forecast's windows)
        "rows_read": rows_read,
        "rows_without_target": None if whole_file else rows_read - collected.rows,
        "seconds": seconds,
        "padding_share": predictor.padding_share,
        "out_of_memory_splits": predictor.out_of_memory_splits,
    }
    events.log(f"scored {collected.rows} rows in {seconds:.1f} s")
    events.progress(1.0, "done")
    return result


def _featurizes_whole_file(model: IndusModel) -> bool:
    """A forecast's windows run across chunk boundaries, so its series are featurized whole;
    other models make one example per row, chunk by chunk."""
    if isinstance(model.featurizer, WindowFeaturizer):
        return True
    if isinstance(model.featurizer, RowFeaturizer):
        return False
    raise JobInputError(f"evaluation does not know the featurizer {type(model.featurizer).__name__}")


def _labelled_examples(source: InputSource, model: IndusModel, *, whole_file: bool) -> Iterator[tuple[list[dict], int]]:
    """Runs on the prefetch thread: read, check and featurize (with each row's encoded target;
    rows without one are left out), yielding the examples and the rows read so far."""
    tables = []
    rows_read = 0
    for chunk in source.chunks(chunk_rows=CHUNK_ROWS, part_rows=CHUNK_ROWS):
        if chunk.errors:
            # Metrics over the rows that happen to parse would describe some other data set.
            raise JobInputError(first_bad_row(chunk))
        rows_read = chunk.end_row
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
    """The truth and predictions of every batch so far, joined for `evaluate` at the end: arrays
    end to end, lists (token tags, one list per sentence) as one list."""

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
