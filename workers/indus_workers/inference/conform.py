"""Input columns cast to the types the model reads, with the values that do not fit named.

Files disagree on types: CSV has only text, JSON infers a type per block, Parquet has the types
its writer chose. Each input column is cast to one type per column kind (numbers and times to
float64 as the featurizers read them, booleans to bool, text to string, tokens to a list of
strings). A value that does not fit (a word in a number column) becomes null, and its row gets
an error message; the rest of the chunk goes on. To find such values without a slow Python loop,
a failed cast is retried on halves of the column until the failing values are isolated.
"""
import json
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from indus.plugins.contract import Column, JobInputError
from indus_workers.backbones.columns import column_as_floats
from indus_workers.inference.columns import (
    BOOLEAN_TYPES,
    CATEGORICAL_TYPES,
    DATETIME_TYPES,
    NUMERIC_TYPES,
    TEXT_TYPES,
    TOKENS_TYPES,
)

CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError, TypeError)
TOKENS_TYPE = pa.list_(pa.string())


def _is_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _is_scalar(arrow_type: pa.DataType) -> bool:
    return (
        _is_text(arrow_type)
        or pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_decimal(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_null(arrow_type)
    )


def _accepts(column_type: str, arrow_type: pa.DataType) -> bool:
    """Whether values of this arrow type can hold the column kind at all (a list where a number
    belongs cannot); values of an accepted type can still fail one by one."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if column_type in TOKENS_TYPES:
        return pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or _is_text(arrow_type) or pa.types.is_null(arrow_type)
    if column_type in DATETIME_TYPES:
        return _is_scalar(arrow_type) or pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)
    return _is_scalar(arrow_type)


def check_column_types(schema: pa.Schema, columns: list[Column]) -> None:
    """Raise for a column whose type cannot hold what the model reads from it."""
    for column in columns:
        if column.name in schema.names and not _accepts(column.type, schema.field(column.name).type):
            raise JobInputError(
                f"column {column.name!r} holds {schema.field(column.name).type} values; the model reads it as {column.type}"
            )


def _to_numbers(values: pa.Array) -> pa.Array:
    if _is_text(values.type):
        return pc.cast(values, pa.float64())
    return _to_seconds(values)


def _to_seconds(values: pa.Array) -> pa.Array:
    # The featurizer's own reading: ISO-8601 text, dates and timestamps to seconds since the
    # epoch; NaN (which it reads as missing) becomes null, so that drift counts it as missing.
    return pa.array(column_as_floats(values), from_pandas=True)


def _to_boolean(values: pa.Array) -> pa.Array:
    return pc.cast(values, pa.bool_())


def _to_text(values: pa.Array) -> pa.Array:
    return pc.cast(values, pa.string())


def _to_categories(values: pa.Array) -> pa.Array:
    # Categories are compared as text with the training vocabulary (str(value)); only a
    # dictionary encoding needs undoing.
    return values.dictionary_decode() if pa.types.is_dictionary(values.type) else values


def _to_tokens(values: pa.Array) -> pa.Array:
    if not _is_text(values.type):
        return pc.cast(values, TOKENS_TYPE)
    return pa.array([None if value is None else _words(value) for value in values.to_pylist()], type=TOKENS_TYPE)


def _words(value: str) -> list[str]:
    """Words from a text cell (CSV has no lists): a JSON array of strings, or else split on spaces."""
    if value.lstrip().startswith("["):
        words = json.loads(value)
        if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
            raise ValueError("not a list of words")
        return words
    return value.split()


CONVERTERS: list[tuple[frozenset[str], Callable[[pa.Array], pa.Array], str]] = [
    (NUMERIC_TYPES, _to_numbers, "a number"),
    (DATETIME_TYPES, _to_seconds, "a date or time"),
    (BOOLEAN_TYPES, _to_boolean, "true or false"),
    (TEXT_TYPES, _to_text, "text"),
    (CATEGORICAL_TYPES, _to_categories, "a category"),
    (TOKENS_TYPES, _to_tokens, "a list of words"),
]


def _converter(column_type: str) -> tuple[Callable[[pa.Array], pa.Array], str]:
    for types, converter, expected in CONVERTERS:
        if column_type in types:
            return converter, expected
    raise JobInputError(f"the model reads a column of type {column_type!r}, which batch inference does not know")


def convert_locating_failures(values: pa.Array, convert: Callable[[pa.Array], pa.Array]) -> tuple[pa.Array, list[int]]:
    """`convert(values)`, with every value it cannot convert set to null and its position
    returned. A failed conversion is retried on each half, so k bad values in n cost about
    k * log2(n) conversions rather than n."""
    try:
        return convert(values), []
    except CAST_ERRORS:
        if len(values) == 1:
            return pa.nulls(1, type=convert(values.slice(0, 0)).type), [0]
    middle = len(values) // 2
    head, head_failures = convert_locating_failures(values.slice(0, middle), convert)
    tail, tail_failures = convert_locating_failures(values.slice(middle), convert)
    return pa.concat_arrays([head, tail]), head_failures + [middle + position for position in tail_failures]


def _shown(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def conform_table(table: pa.Table, columns: list[Column]) -> tuple[pa.Table, dict[int, str]]:
    """The table with each input column converted (missing optional columns added as nulls),
    and an error message for each row holding a value that does not fit."""
    errors: dict[int, str] = {}
    for column in columns:
        convert, expected = _converter(column.type)
        if column.name not in table.column_names:
            table = table.append_column(column.name, convert(pa.nulls(table.num_rows, type=pa.string())))
            continue
        values = table.column(column.name).combine_chunks()
        converted, failures = convert_locating_failures(values, convert)
        for position in failures:
            errors.setdefault(position, f"column {column.name!r}: {_shown(values[position].as_py())} is not {expected}")
        table = table.set_column(table.column_names.index(column.name), column.name, converted)
    return table, errors
