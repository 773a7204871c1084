"""Predictions as output columns.

Heads decode to JSON-ready dicts per row (`TaskHead.decode`); this turns them into columns
whatever the head, a plugin's included: a scalar is a column, a dict is one column per entry
(`probabilities` -> `p_<label>`, `quantiles` -> `q_<level>`, any other `<key>_<entry>`), a list
is a list column. Token tags also get their entity spans. A head that decodes to columns
(`TaskHead.decode_columns`) has them named the same way, with no per-row work at all.
"""
import numpy as np
import pyarrow as pa

from indus_workers.inference.chunks import RowChunk

ENTRY_PREFIXES = {"probabilities": "p_", "quantiles": "q_"}
ROW_COLUMN = "row"
ERROR_COLUMN = "error"


def flatten_prediction(prediction: dict) -> dict:
    flat = {}
    for key, value in prediction.items():
        if isinstance(value, dict):
            prefix = ENTRY_PREFIXES.get(key, f"{key}_")
            flat.update({f"{prefix}{entry}": entry_value for entry, entry_value in value.items()})
        else:
            flat[key] = value
    return flat


def prediction_columns(predictions: list[dict | None]) -> dict[str, pa.Array]:
    """Column name -> values; a row without a prediction (a bad row) is null in every column."""
    flat = [None if prediction is None else flatten_prediction(prediction) for prediction in predictions]
    names = dict.fromkeys(name for row in flat if row for name in row)
    return {name: pa.array([row.get(name) if row else None for row in flat]) for name in names}


def bio_spans(tags: list[str], words: list[str]) -> list[dict]:
    """Entities from one tag per word: B-X starts an X, I-X continues one (or starts it when
    nothing of X is open), O ends it; a tag without a prefix continues a run of itself.
    `end` is exclusive; `text` is the words joined by spaces."""
    spans: list[dict] = []
    open_span: dict | None = None
    for index, tag in enumerate(tags):
        prefix, _, label = tag.partition("-") if tag[:2] in ("B-", "I-") else ("", "", tag)
        if tag == "O":
            open_span = None
            continue
        if prefix == "B" or open_span is None or open_span["label"] != label:
            open_span = {"label": label, "start": index, "end": index + 1}
            spans.append(open_span)
        else:
            open_span["end"] = index + 1
    return [{**span, "text": " ".join(words[span["start"] : span["end"]])} for span in spans]


def chunk_output_table(
    chunk: RowChunk,
    good_positions: list[int],
    predictions: list[dict],
    *,
    id_column: str | None,
    mark_errors: bool,
    words_column: str | None = None,
) -> pa.Table:
    """One output row per input row of the chunk, in input order: the id (or the row number),
    the prediction columns, and with `mark_errors` the error of each bad row."""
    by_position: list[dict | None] = [None] * chunk.num_rows
    for position, prediction in zip(good_positions, predictions, strict=True):
        by_position[position] = prediction
    if words_column:
        words = chunk.table.column(words_column).to_pylist()
        for position in good_positions:
            prediction = by_position[position]
            prediction["spans"] = bio_spans(prediction["tags"], words[position] or [])
    return _output_table(chunk, prediction_columns(by_position), id_column=id_column, mark_errors=mark_errors)


def columns_output_table(
    chunk: RowChunk, columns: dict[str, pa.Array], *, id_column: str | None, mark_errors: bool,
) -> pa.Table:
    """`chunk_output_table` from the prediction columns of the chunk's good rows (in order, as
    `BatchPredictor.predict_columns` returns them): bad rows are null in each, by one take."""
    if chunk.errors:
        bad = np.zeros(chunk.num_rows, dtype=bool)
        bad[list(chunk.errors)] = True
        # Bad rows take a null index, which `take` turns into a null value.
        indices = pa.array(np.cumsum(~bad) - 1, mask=bad)
        columns = {name: values.take(indices) for name, values in columns.items()}
    return _output_table(chunk, columns, id_column=id_column, mark_errors=mark_errors)


def _output_table(chunk: RowChunk, predictions: dict[str, pa.Array], *, id_column: str | None, mark_errors: bool) -> pa.Table:
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    if id_column:
        columns[id_column] = chunk.table.column(id_column)
    else:
        columns[ROW_COLUMN] = pa.array(np.arange(chunk.first_row, chunk.end_row, dtype=np.int64))
    for name, values in predictions.items():
        # An id column may be called like a prediction ("label"): the id keeps its name.
        columns[f"predicted_{name}" if name in columns else name] = values
    if mark_errors:
        messages = np.full(chunk.num_rows, None, dtype=object)
        messages[list(chunk.errors)] = list(chunk.errors.values())
        columns[ERROR_COLUMN] = pa.array(messages, type=pa.string())
    return pa.table(columns)
