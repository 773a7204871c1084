"""Rows sent to a served model: checked one value at a time, then predicted in one forward with
other requests' rows, and answered as batch inference's output rows.

A request's rows are JSON objects keyed by the task's column names. Each value is checked
against the kind of column the model reads (a number where a number belongs), then converted by
the batch-inference runtime's own conforming (`conform_table`), so a served prediction and a
batch one read a value the same way. Every problem is a `RowProblem` naming the row and column,
found before any model compute; a request with one is refused whole.
"""
from dataclasses import dataclass

import pyarrow as pa

from indus.plugins.contract import Column
from indus_workers.backbones.base import RowFeaturizer
from indus_workers.inference.chunks import RowChunk
from indus_workers.inference.columns import (
    BOOLEAN_TYPES,
    CATEGORICAL_TYPES,
    DATETIME_TYPES,
    NUMERIC_TYPES,
    TEXT_TYPES,
    TOKENS_TYPES,
)
from indus_workers.inference.conform import conform_table
from indus_workers.inference.outputs import chunk_output_table
from indus_workers.inference.predictor import BatchPredictor
from indus_workers.model import IndusModel


@dataclass(frozen=True)
class RowProblem:
    field: str  # rows.<n>.<column>, or rows / rows.<n> for the shape
    message: str
    code: str = "invalid"


class RowsRefused(ValueError):
    """The request's rows cannot be predicted; every problem found is listed."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__(problems[0].message)
        self.problems = problems


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# The JSON values each kind of column takes, and how a refusal names what was expected.
ACCEPTED_VALUES = [
    (NUMERIC_TYPES, _is_number, "a number"),
    (DATETIME_TYPES, lambda value: isinstance(value, str) or _is_number(value), "an ISO-8601 date or time, or seconds"),
    (BOOLEAN_TYPES, lambda value: isinstance(value, bool), "true or false"),
    (TEXT_TYPES, lambda value: isinstance(value, str), "text"),
    (CATEGORICAL_TYPES, lambda value: isinstance(value, str) or (_is_number(value) and float(value).is_integer()), "a category (text or a whole number)"),
    (TOKENS_TYPES, lambda value: isinstance(value, str) or (isinstance(value, list) and all(isinstance(word, str) for word in value)), "a list of words"),
]


def _accepted(column: Column):
    for types, accepts, expected in ACCEPTED_VALUES:
        if column.type in types:
            return accepts, expected
    raise ValueError(f"the model reads a column of type {column.type!r}, which serving does not know")


def _shown(value, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ServedModel:
    """A loaded model as serving uses it: rows checked into a table, tables predicted together."""

    def __init__(self, model: IndusModel):
        if not isinstance(model.featurizer, RowFeaturizer):
            raise ValueError(
                f"{model.task.name} predicts per series ({type(model.featurizer).__name__}); serving answers per row, "
                "so forecast with a batch-inference job"
            )
        self.model = model
        self.columns: list[Column] = list(model.task.model_columns)
        self.words_column = model.featurizer.columns[0] if model.head.token_level else None

    def table(self, rows, *, max_rows: int) -> pa.Table:
        """The rows as a table of the model's columns, converted as batch inference converts
        them; raises `RowsRefused` naming every bad value (up to 20)."""
        if not isinstance(rows, list) or not rows:
            raise RowsRefused([RowProblem("rows", "rows must be a non-empty list of objects keyed by column name")])
        if len(rows) > max_rows:
            raise RowsRefused([RowProblem("rows", f"a request holds at most {max_rows} rows; this one has {len(rows)}", "too_many_rows")])
        problems: list[RowProblem] = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                problems.append(RowProblem(f"rows.{index}", f"row {index} is {type(row).__name__}, not an object keyed by column name"))
        if problems:
            raise RowsRefused(problems[:20])
        values: dict[str, list] = {}
        for column in self.columns:
            accepts, expected = _accepted(column)
            column_values = []
            for index, row in enumerate(rows):
                value = row.get(column.name)
                if value is None:
                    if column.required:
                        problems.append(RowProblem(f"rows.{index}.{column.name}", f"row {index} has no value for column {column.name!r}", "required"))
                elif not accepts(value):
                    problems.append(RowProblem(
                        f"rows.{index}.{column.name}", f"row {index}: column {column.name!r} takes {expected}, not {_shown(value)}", "wrong_type",
                    ))
                    value = None
                column_values.append(_as_cell(column, value))
            values[column.name] = column_values
        if problems:
            raise RowsRefused(problems[:20])
        arrays = {}
        for name, column_values in values.items():
            try:
                arrays[name] = pa.array(column_values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                raise RowsRefused([RowProblem(f"rows.0.{name}", f"column {name!r} mixes kinds of values across rows", "wrong_type")]) from None
        table = pa.table(arrays)
        table, errors = conform_table(table, self.columns)
        if errors:
            raise RowsRefused([
                RowProblem(f"rows.{position}.{_column_named(message, self.columns)}", f"row {position}: {message}", "wrong_type")
                for position, message in sorted(errors.items())[:20]
            ])
        return table

    def predict(self, tables: list[pa.Table], predictor: BatchPredictor) -> list[list[dict]]:
        """One list of output rows per table, each row as batch inference writes it (`row` is
        the row's place in its own request); all tables go through one featurize and the
        runtime's length-sorted batching."""
        joined = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
        predictions = predictor.predict(self.model.featurize(joined, inference=True))
        answers, start = [], 0
        for table in tables:
            chunk = RowChunk(0, joined.slice(start, table.num_rows))
            own = predictions[start : start + table.num_rows]
            output = chunk_output_table(chunk, list(range(table.num_rows)), own, id_column=None, mark_errors=False,
                                        words_column=self.words_column)
            answers.append(output.to_pylist())
            start += table.num_rows
        return answers


def _as_cell(column: Column, value):
    """One type per column, as arrow infers a column's type from all its values: whole numbers
    in a number column are floats, words sent as one string are split as a CSV cell is."""
    if value is None:
        return None
    if column.type in NUMERIC_TYPES or (column.type in DATETIME_TYPES and _is_number(value)):
        return float(value)
    if column.type in TOKENS_TYPES and isinstance(value, str):
        return value.split()
    return value


def _column_named(message: str, columns: list[Column]) -> str:
    """The column a conform error message names ("column 'x': ...")."""
    for column in columns:
        if message.startswith(f"column {column.name!r}"):
            return column.name
    return ""
