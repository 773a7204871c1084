"""A batch-inference job, run inside the worker process.

Stages, each raising `JobInputError` for the user's input before any model compute:
  1. the model (from the cache) and the columns it reads; the file's columns and types checked;
  2. with on_bad_rows="fail", one pass over every row checking values (no model compute);
  3. with int8, the quantised copy is checked against full precision on a sample;
  4. the main pass: chunks read, checked and tokenised (into arrays) one ahead on a background
     thread, predicted shortest-first in batches collated ahead on another, written as parts
     from the heads' columns; resumes after the parts a previous
     run of the same job completed (forecasting instead keeps each series' latest rows and
     forecasts every series at the end: see `forecasts`);
  5. the parts joined into the output file, atomically;
  6. explanations for the rows asked for; drift of the inputs against the training profile.
"""
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from indus.plugins.contract import JobInputError
from indus_workers.backbones.base import EncodedRows, RowFeaturizer
from indus_workers.backbones.time_series import WindowFeaturizer
from indus_workers.devices import choose_device
from indus_workers.events import RunEvents
from indus_workers.inference.cache import ModelCache, shared_cache
from indus_workers.inference.chunks import RowChunk
from indus_workers.inference.drift import DriftMonitor, numeric_scales_of
from indus_workers.inference.explain.requested import requested_explanations
from indus_workers.inference.final_output import write_final_output
from indus_workers.inference.forecasts import SeriesTails, forecast_table
from indus_workers.inference.outputs import chunk_output_table, columns_output_table
from indus_workers.inference.parts import PartRecord, PartStore, file_identity, fingerprint
from indus_workers.inference.precision import choose_model
from indus_workers.inference.predictor import BatchPredictor, InferenceStopped, compute_threads
from indus_workers.inference.prefetch import Prefetcher
from indus_workers.inference.source import InputSource
from indus_workers.inference.spec import InferenceSpec
from indus_workers.model import IndusModel

# Rows tokenised and predicted together. Sorting by length happens within a chunk, so a larger
# chunk pads less; a smaller one holds less memory (three chunks live at once).
CHUNK_ROWS = 8192


@dataclass
class PreparedChunk:
    chunk: RowChunk
    rows: EncodedRows | None  # the good rows, encoded; None when the chunk has none


@dataclass
class ComputedRows:
    """Stages 1 to 4 done: what the output, the explanations and the result are made from."""

    model: IndusModel  # full precision, for explanations
    source: InputSource
    store: PartStore
    predictor: BatchPredictor
    drift: DriftMonitor
    int8_report: dict | None
    chunk_rows: int
    rows_before: int  # rows predicted by earlier runs of the job
    resumed_parts: int
    started: float
    stopped: bool


def compute_rows(spec: InferenceSpec, events: RunEvents, cache: ModelCache) -> ComputedRows:
    """Stages 1 to 4 over the spec's rows: the whole input, or one part of a job split into parts."""
    started = time.perf_counter()
    full_model = cache.get(spec.model_dir)
    compute = _compute_for(full_model)
    if spec.end_row is not None and compute is compute_forecasts:
        raise JobInputError("a forecasting job cannot be split into parts: each series needs all of its rows")
    columns = list(full_model.task.model_columns)
    source = InputSource(spec.input_path, spec.input_format, columns, spec.id_column)
    source.check()
    events.log(f"batch inference of {Path(spec.input_path).name} with {full_model.task.name}")
    chunk_rows = min(CHUNK_ROWS, spec.rows_per_part)
    rows = (spec.first_row, spec.end_row)
    counted = check_every_row(source, chunk_rows, rows) if spec.on_bad_rows == "fail" else None
    total_rows = spec.end_row - spec.first_row if spec.end_row is not None else counted
    plan = choose_device()
    model, int8_report = choose_model(
        spec.model_dir, int8=spec.int8, cache=cache, plan=plan, source=source, batch_size=spec.batch_size, events=events
    )
    store = PartStore(spec.output_dir, job_fingerprint=_job_fingerprint(spec, cache, int8_report, plan),
                      rows_per_part=spec.rows_per_part, first_row=spec.first_row)
    resumed_parts = len(store.resume())
    if resumed_parts:
        events.log(f"resuming after {resumed_parts} completed part(s): {store.rows_done} rows already predicted")
    events.log(f"computing on {plan.device.type} in {str(plan.dtype).removeprefix('torch.')}" + (" (int8 weights)" if model is not full_model else ""))
    drift = DriftMonitor(spec.reference_profile, columns, numeric_scales=numeric_scales_of(full_model.featurizer))
    predictor = BatchPredictor(model, plan, batch_size=spec.batch_size, should_stop=events.should_stop)
    computed = ComputedRows(full_model, source, store, predictor, drift, int8_report, chunk_rows, store.rows_done,
                            resumed_parts, started, stopped=False)
    try:
        with compute_threads():
            compute(spec, model, source, store, predictor, drift, events, chunk_rows=chunk_rows, total_rows=total_rows)
    except InferenceStopped:
        events.log(f"stopped after {len(store.parts)} part(s); they are kept for a later run")
        computed.stopped = True
    return computed


def run_inference(spec: InferenceSpec, events: RunEvents, *, cache: ModelCache | None = None) -> dict:
    """Run the job; return its JSON-ready result. `resumed_from_part` is the first part this run
    computed when earlier parts came from a previous run, else None; `stopped` is True when the
    job was asked to stop (finished parts are kept and a later run continues after them)."""
    cache = shared_cache if cache is None else cache  # not `or`: an empty cache is falsy
    computed = compute_rows(spec, events, cache)
    store = computed.store
    if computed.stopped:
        return {
            "stopped": True, "rows": store.rows_done, "parts": len(store.parts), "output_path": None,
            "seconds": time.perf_counter() - computed.started, "resumed_from_part": computed.resumed_parts or None,
        }

    explanations = written_output(spec, computed.model, computed.source, store, events, chunk_rows=computed.chunk_rows)
    seconds = time.perf_counter() - computed.started
    result = {
        "stopped": False,
        "rows": store.rows_done,
        "bad_rows": sum(part.bad_rows for part in store.parts),
        "output_path": spec.output_path,
        "parts": len(store.parts),
        "seconds": seconds,
        "rows_per_second": (store.rows_done - computed.rows_before) / seconds if seconds else None,
        "padding_share": computed.predictor.padding_share,
        "out_of_memory_splits": computed.predictor.out_of_memory_splits,
        "int8": computed.int8_report,
        "explanations": explanations,
        "drift": computed.drift.summary(),
        "resumed_from_part": computed.resumed_parts or None,
    }
    events.log(f"wrote {result['rows']} rows ({result['bad_rows']} with errors) to {Path(spec.output_path).name} in {seconds:.1f} s")
    events.progress(1.0, "done")
    return result


def written_output(spec: InferenceSpec, model: IndusModel, source: InputSource, store: PartStore, events: RunEvents,
                   *, chunk_rows: int) -> list[dict] | None:
    """The store's parts joined into the output file, once, atomically; then the explanations
    asked for (None when none were), reading only the explained rows again."""
    write_final_output(store.part_paths(), spec.output_path, spec.output_format)
    if spec.explain is None:
        return None
    return requested_explanations(spec, model, source, store, events, chunk_rows=chunk_rows)


def run_inference_part(spec: InferenceSpec, events: RunEvents, *, cache: ModelCache | None = None) -> dict:
    """Rows [spec.first_row, spec.end_row) of a job split into parts, written as output parts in
    `spec.output_dir` (resumable as a whole job is); no output file, no explanations. Returns
    the JSON-ready part result `assemble_parts` joins: its output files (relative to
    `spec.output_dir`), row counts and the drift statistics of its rows."""
    cache = shared_cache if cache is None else cache
    computed = compute_rows(spec, events, cache)
    store = computed.store
    seconds = time.perf_counter() - computed.started
    return {
        "stopped": computed.stopped,
        "rows": store.rows_done,
        "bad_rows": sum(part.bad_rows for part in store.parts),
        "files": [{"file": part.file, "first_row": part.first_row, "rows": part.rows, "bad_rows": part.bad_rows}
                  for part in store.parts],
        "seconds": seconds,
        "padding_share": computed.predictor.padding_share,
        "out_of_memory_splits": computed.predictor.out_of_memory_splits,
        "int8": computed.int8_report,
        "drift": computed.drift.partial(),
        "resumed_from_part": computed.resumed_parts or None,
    }


def assemble_parts(spec: InferenceSpec, part_results: list[dict], events: RunEvents, *, cache: ModelCache | None = None,
                   seconds: float) -> dict:
    """The output of a job split into parts, from its parts' results in row order (each file
    named relative to `spec.output_dir`): the output file joined once, atomically; the
    explanations, reading only the explained rows again; the drift summary from the parts'
    statistics, with no row read again. `seconds`: how long the job has run."""
    cache = shared_cache if cache is None else cache
    model = cache.get(spec.model_dir)
    store = PartStore(spec.output_dir, job_fingerprint="", rows_per_part=spec.rows_per_part)
    store.parts = [PartRecord(index=index, **written) for index, written in
                   enumerate(written for result in part_results for written in result["files"])]
    columns = list(model.task.model_columns)
    source = InputSource(spec.input_path, spec.input_format, columns, spec.id_column)
    explanations = written_output(spec, model, source, store, events, chunk_rows=min(CHUNK_ROWS, spec.rows_per_part))
    drift = DriftMonitor.merged([result["drift"] for result in part_results], spec.reference_profile, columns,
                                numeric_scales=numeric_scales_of(model.featurizer))
    padded = [(result["padding_share"], result["rows"]) for result in part_results if result["padding_share"] is not None]
    result = {
        "stopped": False,
        "rows": store.rows_done,
        "bad_rows": sum(part.bad_rows for part in store.parts),
        "output_path": spec.output_path,
        "parts": len(store.parts),
        "job_parts": len(part_results),
        "seconds": seconds,
        "rows_per_second": store.rows_done / seconds if seconds else None,
        "padding_share": sum(share * rows for share, rows in padded) / max(sum(rows for _, rows in padded), 1) if padded else None,
        "out_of_memory_splits": sum(result["out_of_memory_splits"] for result in part_results),
        # Every part decides int8 on the same sample of the file, so the first part's report holds for all.
        "int8": part_results[0]["int8"],
        "explanations": explanations,
        "drift": drift.summary(),
        "resumed_from_part": None,
    }
    events.log(f"joined {len(part_results)} parts: {result['rows']} rows ({result['bad_rows']} with errors) "
               f"to {Path(spec.output_path).name}")
    events.progress(1.0, "done")
    return result


def _compute_for(model: IndusModel):
    """One prediction per row (most tasks), or one per series (forecasting)."""
    if isinstance(model.featurizer, RowFeaturizer):
        return compute_parts
    if isinstance(model.featurizer, WindowFeaturizer):
        return compute_forecasts
    raise JobInputError(f"batch inference does not know the featurizer {type(model.featurizer).__name__}")


def check_every_row(source: InputSource, chunk_rows: int, rows: tuple[int, int | None] = (0, None)) -> int:
    """Raise at the first row (of the range `rows`) that cannot be predicted; return the row count."""
    counted = 0
    for chunk in source.chunks(chunk_rows=chunk_rows, part_rows=chunk_rows, rows=rows):
        if chunk.errors:
            raise JobInputError(
                f"{first_bad_row(chunk)} "
                "(on_bad_rows='mark' predicts the other rows and reports this one in an error column)"
            )
        counted = chunk.end_row - rows[0]
    return counted


def first_bad_row(chunk: RowChunk) -> str:
    """The chunk's first row that cannot be predicted, by its row number in the file, and why."""
    position = min(chunk.errors)
    return f"row {chunk.first_row + position}: {chunk.errors[position]}"


def _job_fingerprint(spec: InferenceSpec, cache: ModelCache, int8_report: dict | None, plan) -> str:
    """What decides the predictions: parts written under another fingerprint are not reused."""
    # A part of a job split into parts is told apart by its rows; a whole job's identity is as it was.
    part_rows = {} if spec.end_row is None else {"rows": [spec.first_row, spec.end_row]}
    return fingerprint({
        **part_rows,
        "input": file_identity(spec.input_path),
        "input_format": spec.input_format,
        "model": cache.key(spec.model_dir, False),
        "int8": bool(int8_report and int8_report["used"]),
        "precision": str(plan.dtype),
        "rows_per_part": spec.rows_per_part,
        "id_column": spec.id_column,
        "on_bad_rows": spec.on_bad_rows,
    })


def prepared_chunks(source: InputSource, model: IndusModel, drift: DriftMonitor, *, chunk_rows: int, part_rows: int, first_row: int,
                    rows: tuple[int, int | None] = (0, None)):
    """Runs on the prefetch thread: read (the range `rows`), check, feed drift, tokenise. Rows
    before `first_row` (done by a previous run) are read for drift but not predicted again."""
    for chunk in source.chunks(chunk_rows=chunk_rows, part_rows=part_rows, rows=rows):
        good_table = chunk.good_table()
        drift.add(good_table)
        if chunk.end_row <= first_row:
            continue
        yield PreparedChunk(chunk, model.featurizer.encode_for_inference(good_table) if good_table.num_rows else None)


class PartBuffer:
    """The output rows of the part being computed; written as soon as the part is complete."""

    def __init__(self, store: PartStore, events: RunEvents, fraction_done: Callable[[int], float]):
        self.store = store
        self.events = events
        self.fraction_done = fraction_done
        self.tables: list[pa.Table] = []
        self.bad_rows = 0
        self.started = time.perf_counter()

    def add(self, table: pa.Table, *, bad_rows: int, end_row: int) -> None:
        self.tables.append(table)
        self.bad_rows += bad_rows
        if (end_row - self.store.first_row) % self.store.rows_per_part == 0:
            self.flush(end_row)

    def flush(self, end_row: int) -> None:
        if not self.tables:
            return
        index = (end_row - 1 - self.store.first_row) // self.store.rows_per_part
        table = pa.concat_tables(self.tables, promote_options="permissive")
        self.store.write_part(index, table, bad_rows=self.bad_rows)
        self.events.checkpoint(f"part-{index:05d}", index + 1)  # parts count from 1 for people
        self.events.progress(min(self.fraction_done(end_row), 0.99), f"{end_row} rows predicted")
        self.events.metric("rows_per_second", index, table.num_rows / max(time.perf_counter() - self.started, 1e-9))
        self.tables, self.bad_rows, self.started = [], 0, time.perf_counter()


def compute_parts(
    spec: InferenceSpec, model: IndusModel, source: InputSource, store: PartStore, predictor: BatchPredictor,
    drift: DriftMonitor, events: RunEvents, *, chunk_rows: int, total_rows: int | None,
) -> None:
    words_column = model.featurizer.columns[0] if model.head.token_level else None
    parts = PartBuffer(store, events, lambda done: (done - spec.first_row) / total_rows if total_rows else source.fraction_read())
    resume_row = spec.first_row + store.rows_done
    chunks = prepared_chunks(source, model, drift, chunk_rows=chunk_rows, part_rows=spec.rows_per_part, first_row=resume_row,
                             rows=(spec.first_row, spec.end_row))
    end_row = resume_row
    mark_errors = spec.on_bad_rows == "mark"
    with Prefetcher(chunks) as prefetched:
        for prepared in prefetched:
            chunk = prepared.chunk
            if words_column:  # token tags: decoded per word, with entity spans
                predictions = predictor.predict(prepared.rows.examples) if prepared.rows else []
                table = chunk_output_table(chunk, chunk.good_positions(), predictions, id_column=spec.id_column,
                                           mark_errors=mark_errors, words_column=words_column)
            else:
                columns = predictor.predict_columns(prepared.rows) if prepared.rows else {}
                table = columns_output_table(chunk, columns, id_column=spec.id_column, mark_errors=mark_errors)
            parts.add(table, bad_rows=len(chunk.errors), end_row=chunk.end_row)
            end_row = chunk.end_row
    parts.flush(end_row)  # the last part, when the input ends inside it


def compute_forecasts(
    spec: InferenceSpec, model: IndusModel, source: InputSource, store: PartStore, predictor: BatchPredictor,
    drift: DriftMonitor, events: RunEvents, *, chunk_rows: int, total_rows: int | None,
) -> None:
    """Read every row (keeping each series' latest steps), then forecast every series at once,
    written as a single part: a job that dies re-reads the file, which costs no model compute."""
    tails = SeriesTails(model.featurizer)
    bad_rows = 0
    with closing(source.chunks(chunk_rows=chunk_rows, part_rows=chunk_rows)) as chunks:
        for chunk in chunks:
            good_table = chunk.good_table()
            drift.add(good_table)
            tails.add(good_table)
            bad_rows += len(chunk.errors)
            if events.should_stop():
                raise InferenceStopped
            fraction_read = chunk.end_row / total_rows if total_rows else source.fraction_read()
            events.progress(0.9 * fraction_read, f"{chunk.end_row} rows read")  # the forecasts come last
    if store.parts:
        return  # forecast by a previous run of the job
    examples = model.featurize(tails.tails, inference=True) if tails.tails is not None else []
    events.log(f"forecasting {len(examples)} series")
    table = forecast_table(examples, predictor.predict(examples), model.featurizer.series_column)
    store.write_part(0, table, bad_rows=bad_rows)
