"""Which rows to explain: the ones asked for, or the k highest-scoring ones, and their inputs.

The top k are found from the written parts, not during compute, so a resumed job ranks the
rows of its earlier parts too. A row's score is the output a user ranks by: the probability of
the task's positive label when it names one, else the predicted class's probability, the value,
the highest probability, or the top item's score.
"""
import heapq
from contextlib import closing
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pa_parquet

from indus.plugins.contract import Task
from indus_workers.inference.explain.target import ExplanationUnsupported
from indus_workers.inference.source import InputSource


def score_column(schema: pa.Schema, task: Task) -> str | list[str]:
    """The output column(s) a row's score comes from; a list means the largest of them."""
    names = schema.names
    positive = task.presentation.positive_label
    if positive and f"p_{positive}" in names:
        return f"p_{positive}"
    for name in ("score", "value"):
        if name in names and pa.types.is_floating(schema.field(name).type):
            return name
    probabilities = [name for name in names if name.startswith("p_")]
    if probabilities:
        return probabilities
    if "scores" in names:
        return "scores"
    raise ExplanationUnsupported("the predictions have no score to rank rows by")


def row_scores(table: pa.Table, source: str | list[str]) -> np.ndarray:
    """Scores as floats, NaN for rows without a prediction."""
    if isinstance(source, list):
        values = pc.max_element_wise(*[table.column(name) for name in source])
    elif pa.types.is_list(table.schema.field(source).type):
        values = pc.list_element(table.column(source), 0)
    else:
        values = table.column(source)
    return np.asarray(values.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def top_scoring_rows(part_paths: list[Path], first_rows: list[int], task: Task, k: int) -> list[int]:
    """The row numbers of the k highest scores over all parts, highest first."""
    best: list[tuple[float, int]] = []  # a min-heap of (score, -row): ties go to the earlier row
    for path, first_row in zip(part_paths, first_rows, strict=True):
        schema = pa_parquet.read_schema(path)
        source = score_column(schema, task)
        scores = row_scores(pa_parquet.read_table(path, columns=source if isinstance(source, list) else [source]), source)
        candidates = np.flatnonzero(~np.isnan(scores))
        if candidates.size > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        for position in candidates.tolist():
            entry = (float(scores[position]), -(first_row + position))
            if len(best) < k:
                heapq.heappush(best, entry)
            elif entry > best[0]:
                heapq.heapreplace(best, entry)
    return [-negative_row for _, negative_row in sorted(best, reverse=True)]


def fetch_rows(source: InputSource, wanted: list[int], *, chunk_rows: int) -> tuple[pa.Table, list[int]]:
    """The conformed input rows with these numbers that have no error, and their numbers, in
    file order. One streaming pass; only the wanted rows are kept."""
    wanted = sorted(set(wanted))
    pieces, found = [], []
    with closing(source.chunks(chunk_rows=chunk_rows, part_rows=chunk_rows)) as chunks:
        for chunk in chunks:
            positions = [
                row - chunk.first_row for row in wanted if chunk.first_row <= row < chunk.end_row and row - chunk.first_row not in chunk.errors
            ]
            if positions:
                pieces.append(chunk.table.take(pa.array(positions, type=pa.int64())))
                found.extend(chunk.first_row + position for position in positions)
            if not wanted or chunk.end_row > wanted[-1]:
                break
    table = pa.concat_tables(pieces, promote_options="permissive") if pieces else None
    return table, found
