"""Streaming readers for CSV, JSONL and Parquet with errors a person can act on.

Every reader yields pyarrow record batches, so memory stays flat however large the file is,
and turns pyarrow's parse errors into a `DatasetReadError` that says what is wrong and where.

Memory is bounded in bytes, not only in rows. A Parquet file may hold one value in its
dictionary and a million references to it, or a list of millions of zeros in one row: a few
kilobytes that decode to gigabytes. So a Parquet row group is first checked from the file's
footer (its rows, each column's values, list items counted, and their uncompressed size) and
refused if it passes a limit, then read in batches sized from the footer to about
`PARQUET_BATCH_BYTES`. Text and binary columns are read as dictionaries (the references and
one copy of each value), each cell's decoded size is counted from them, and only then are rows
decoded, a slice of at most `DECODED_SLICE_BYTES` at a time. An import checks the counts
against `ReadLimits`, the number of columns included (from the CSV header, the first JSON
block or the Parquet footer); a preview stops at its byte budget.
"""
import codecs
import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pa_parquet

from indus.datasets.formats import text_encoding_problem

# Types are inferred from the first block, so a large block makes a late type change rarer.
BLOCK_SIZE = 16 * 1024**2
ENCODING_CHECK_CHUNK = 1024**2
# The decoded bytes a Parquet batch is sized to hold, from its row group's footer.
PARQUET_BATCH_BYTES = 16 * 1024**2
# The most decoded bytes of rows held at once while a Parquet file is read.
DECODED_SLICE_BYTES = 64 * 1024**2


class DatasetReadError(ValueError):
    pass


@dataclass(frozen=True)
class ReadLimits:
    """What one file may hold once decoded; an import fails at the first limit passed."""

    max_rows: int
    max_decoded_bytes: int
    max_value_bytes: int
    max_columns: int = sys.maxsize
    max_row_group_bytes: int = sys.maxsize

    @classmethod
    def from_settings(cls) -> "ReadLimits":
        from django.conf import settings

        return cls(
            max_rows=settings.INDUS_IMPORT_MAX_ROWS,
            max_decoded_bytes=settings.INDUS_IMPORT_MAX_DECODED_BYTES,
            max_value_bytes=settings.INDUS_IMPORT_MAX_VALUE_BYTES,
            max_columns=settings.INDUS_IMPORT_MAX_COLUMNS,
            max_row_group_bytes=settings.INDUS_IMPORT_MAX_ROW_GROUP_BYTES,
        )


NO_LIMITS = ReadLimits(max_rows=sys.maxsize, max_decoded_bytes=sys.maxsize, max_value_bytes=sys.maxsize)


def check_text_encoding(stream: BinaryIO, encoding: str) -> None:
    """Fail with the line of the first byte that is not valid in `encoding`."""
    if problem := text_encoding_problem(encoding):
        raise DatasetReadError(problem)
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    while chunk := stream.read(ENCODING_CHECK_CHUNK):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line += chunk[: error.start].count(b"\n")
            raise DatasetReadError(
                f"line {line} is not valid {encoding} text (byte {error.object[error.start:error.start + 1]!r}); "
                "save the file as UTF-8 or give its encoding, for example latin-1"
            ) from None
        line += text.count("\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise DatasetReadError(f"the file ends inside a {encoding} character") from None


def iter_record_batches(
    stream: BinaryIO, fmt: str, *, encoding: str = "utf-8", delimiter: str = ",", limits: ReadLimits | None = None,
) -> Iterator[pa.RecordBatch]:
    """The file's rows as decoded batches; with `limits`, a `DatasetReadError` names the first
    limit the file passes, before the rows past it are decoded."""
    for batch, decoded_types, row_bytes in _measured_batches(stream, fmt, encoding, delimiter, limits or NO_LIMITS):
        for start, stop in _slices_of_bytes(row_bytes, DECODED_SLICE_BYTES):
            yield _decoded(batch.slice(start, stop - start), decoded_types)


def check_within_limits(stream: BinaryIO, fmt: str, *, encoding: str, delimiter: str, limits: ReadLimits) -> None:
    """What `iter_record_batches` would raise for the file's limits, without decoding its rows."""
    for _ in _measured_batches(stream, fmt, encoding, delimiter, limits):
        pass


def _measured_batches(
    stream, fmt: str, encoding: str, delimiter: str, limits: ReadLimits,
) -> Iterator[tuple[pa.RecordBatch, pa.Schema | None, np.ndarray]]:
    """(batch as read, the schema it decodes to, each row's decoded bytes), checked against
    `limits` batch by batch."""
    readers = {"csv": _csv_batches, "jsonl": _jsonl_batches, "parquet": _parquet_batches}
    if fmt not in readers:
        raise DatasetReadError(f"unsupported format {fmt!r}; use one of {sorted(readers)}")
    rows = decoded = 0
    for batch, decoded_types in readers[fmt](stream, encoding=encoding, delimiter=delimiter, limits=limits):
        row_bytes = _row_bytes(batch, first_row=rows + 1, max_value_bytes=limits.max_value_bytes)
        if rows + batch.num_rows > limits.max_rows:
            raise DatasetReadError(too_many_rows(limits))
        rows += batch.num_rows
        decoded += int(row_bytes.sum())
        if decoded > limits.max_decoded_bytes:
            raise DatasetReadError(too_many_bytes(limits, rows))
        yield batch, decoded_types, row_bytes


def too_many_rows(limits: ReadLimits) -> str:
    return f"the file has more than {limits.max_rows:,} rows, the most an import takes (INDUS_IMPORT_MAX_ROWS)"


def too_many_bytes(limits: ReadLimits, rows: int) -> str:
    return (
        f"the data is larger than {limits.max_decoded_bytes:,} bytes once decoded, the most an import "
        f"takes (INDUS_IMPORT_MAX_DECODED_BYTES); it passed that within its first {rows:,} rows"
    )


def check_column_count(columns: int, limits: ReadLimits) -> None:
    if columns > limits.max_columns:
        raise DatasetReadError(
            f"the file has {columns:,} columns, more than {limits.max_columns:,}, the most an import takes "
            "(INDUS_IMPORT_MAX_COLUMNS)"
        )


def _csv_batches(stream, *, encoding: str, delimiter: str, limits: ReadLimits) -> Iterator[tuple[pa.RecordBatch, None]]:
    first_bad_row = []

    def remember_bad_row(row) -> str:
        first_bad_row.append(row)
        return "error"

    check_column_count(_csv_header_columns(stream, encoding, delimiter), limits)
    try:
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(encoding=encoding, block_size=BLOCK_SIZE, use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=remember_bad_row),
        )
        for batch in reader:
            yield batch, None  # text read into Arrow takes about the bytes it had in the file
    except pa.ArrowInvalid as error:
        if first_bad_row:
            row = first_bad_row[0]
            where = f"row {row.number}" if row.number is not None else "a row"
            raise DatasetReadError(
                f"{where} has {row.actual_columns} fields but the header has {row.expected_columns}: "
                f"{row.text[:80]!r}"
            ) from None
        raise DatasetReadError(_describe_arrow_error(error)) from None


def _jsonl_batches(stream, *, encoding: str, delimiter: str, limits: ReadLimits) -> Iterator[tuple[pa.RecordBatch, None]]:
    if encoding.replace("-", "").lower() != "utf8":
        raise DatasetReadError("JSON Lines files must be UTF-8")
    check_column_count(_json_block_columns(stream), limits)
    try:
        for batch in pa_json.open_json(stream, read_options=pa_json.ReadOptions(block_size=BLOCK_SIZE)):
            yield batch, None
    except pa.ArrowInvalid as error:
        raise DatasetReadError(_describe_arrow_error(error)) from None


# A CSV header is read from at most this many bytes.
HEADER_BYTES = 4 * 1024**2


def _csv_header_columns(stream, encoding: str, delimiter: str) -> int:
    """The columns the CSV header names, read before pyarrow opens the file: pyarrow prepares
    every column of the first block at once (9 KB each: a 169 KB header of 20,000 names takes
    178 MB). The stream is left where it was."""
    start = stream.tell()
    head = stream.read(HEADER_BYTES)
    stream.seek(start)
    text = head.decode(encoding, errors="replace")
    if "\n" not in text and len(head) == HEADER_BYTES:
        raise DatasetReadError(f"the header line is longer than {HEADER_BYTES:,} bytes")
    return len(next(csv.reader(io.StringIO(text), delimiter=delimiter), []))


def _json_block_columns(stream) -> int:
    """The columns, nested fields included, of the first block's JSON objects, counted before
    pyarrow reads the block: it makes a column of every key any row of the block has, and a
    block of 20,000 rows with one key each took 5.5 GB. The stream is left where it was."""
    start = stream.tell()
    block = stream.read(BLOCK_SIZE)
    stream.seek(start)
    fields: set[tuple] = set()

    def add(value, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                fields.add(path + (key,))
                add(item, path + (key,))
        elif isinstance(value, list):
            for item in value:
                add(item, path)

    for line in block.split(b"\n")[:-1] if len(block) == BLOCK_SIZE else block.split(b"\n"):
        try:
            add(json.loads(line), ())
        except ValueError:  # pyarrow says what is wrong with the line, and where
            break
    return len(fields)


def _parquet_batches(stream, *, encoding: str, delimiter: str, limits: ReadLimits):
    """Batches whose text and binary columns are still dictionaries, with the schema they
    decode to. Each row group is checked against `limits` from the file's footer before a
    byte of it is read, and read in batches of about `PARQUET_BATCH_BYTES`."""
    try:
        parquet, decoded_types = open_parquet_as_dictionaries(stream)
        check_column_count(len(decoded_types), limits)
        owners = _leaf_owners(parquet, decoded_types)
        rows = decoded = 0
        for index in range(parquet.metadata.num_row_groups):
            group = parquet.metadata.row_group(index)
            read_bytes, variable_bytes = _row_group_read_bytes(group, parquet.schema, owners, decoded_types.names)
            decoded += sum(read_bytes.values())
            _check_row_group(index, group.num_rows, rows, read_bytes, variable_bytes, decoded, limits)
            per_row = -(-sum(read_bytes.values()) // max(group.num_rows, 1))
            batch_rows = max(1, min(group.num_rows, PARQUET_BATCH_BYTES // max(per_row, 1)))
            for batch in parquet.iter_batches(batch_size=batch_rows, row_groups=[index], use_threads=False):
                yield batch, decoded_types
            rows += group.num_rows
    except (pa.ArrowInvalid, OSError) as error:
        raise DatasetReadError(f"not a readable Parquet file: {error}") from None


# The bytes one value of a Parquet physical type takes once decoded (BYTE_ARRAY has no fixed width).
PARQUET_WIDTHS = {"BOOLEAN": 1, "INT32": 4, "INT64": 8, "INT96": 12, "FLOAT": 4, "DOUBLE": 8}


def _leaf_owners(parquet: pa_parquet.ParquetFile, schema: pa.Schema) -> list[str]:
    """For each leaf column of the Parquet file, in file order, the name of the column it
    belongs to (a list's items and a struct's fields are leaves of one column)."""
    owners = _top_level_column_of_leaves(schema)
    if len(owners) != parquet.metadata.num_columns:  # a type whose leaves are counted otherwise
        owners = [column.path.split(".")[0] for column in parquet.schema]
    return owners


def _top_level_column_of_leaves(schema: pa.Schema) -> list[str]:
    def leaves(kind: pa.DataType) -> int:
        if pa.types.is_map(kind):
            return leaves(kind.key_type) + leaves(kind.item_type)
        if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            return leaves(kind.value_type)
        if pa.types.is_struct(kind):
            return sum(leaves(kind.field(i).type) for i in range(kind.num_fields))
        return 1

    return [field.name for field in schema for _ in range(leaves(field.type))]


def _row_group_read_bytes(group, schema, owners: list[str], names: list[str]) -> tuple[dict, int]:
    """What reading a row group takes, from the footer alone: for each column, its values'
    decoded bytes (every item of a list counted: a leaf's `num_values` counts them), and the
    bytes of its text, binary and list values, which one batch may have to hold at once: a
    single cell may hold them all, and the footer does not say how they are spread over rows.

    Fixed-width values take `num_values` times their width; text and binary values read as
    dictionaries take at most their uncompressed pages (a dictionary holds each distinct value
    once, plain pages each value) and a 4-byte index a value."""
    read_bytes = dict.fromkeys(names, 0)
    variable = 0
    for leaf in range(group.num_columns):
        chunk, column = group.column(leaf), schema.column(leaf)
        if chunk.physical_type == "FIXED_LEN_BYTE_ARRAY":
            size = chunk.num_values * max(column.length or 1, 1)
        elif chunk.physical_type in PARQUET_WIDTHS:
            size = chunk.num_values * PARQUET_WIDTHS[chunk.physical_type]
        else:
            size = chunk.total_uncompressed_size + 4 * chunk.num_values
        read_bytes[owners[leaf]] = read_bytes.get(owners[leaf], 0) + size
        if chunk.physical_type == "BYTE_ARRAY" or column.max_repetition_level > 0:
            variable += size
    return read_bytes, variable


def _check_row_group(index: int, num_rows: int, rows_before: int, read_bytes: dict, variable_bytes: int,
                     decoded: int, limits: ReadLimits) -> None:
    """Refuses a row group past a limit before it is read, from its footer's sizes."""
    if rows_before + num_rows > limits.max_rows:
        raise DatasetReadError(too_many_rows(limits))
    first, last = rows_before + 1, rows_before + num_rows
    for name, size in read_bytes.items():
        if num_rows and size / num_rows > limits.max_value_bytes:  # at least one value is that large
            where = f"row {first:,} holds" if num_rows == 1 else f"rows {first:,} to {last:,} hold on average"
            raise DatasetReadError(
                f"{where} {size // num_rows:,} bytes in column {name!r}; a single value may hold at most "
                f"{limits.max_value_bytes:,} (INDUS_IMPORT_MAX_VALUE_BYTES)"
            )
    if decoded > limits.max_decoded_bytes:
        raise DatasetReadError(too_many_bytes(limits, last))
    if variable_bytes > limits.max_row_group_bytes:
        raise DatasetReadError(
            f"row group {index + 1} (rows {first:,} to {last:,}) holds {variable_bytes:,} bytes of text, binary "
            f"and list values, more than {limits.max_row_group_bytes:,}, the most a row group may hold "
            "(INDUS_IMPORT_MAX_ROW_GROUP_BYTES): write the file with smaller row groups"
        )


def open_parquet_as_dictionaries(source) -> tuple[pa_parquet.ParquetFile, pa.Schema]:
    """The Parquet file, opened so that its text and binary columns read as dictionaries (at
    any depth: a list of strings too, but not inside a map: pyarrow aborts the process casting
    a map of dictionaries back), and the schema its rows have once decoded."""
    as_written = pa_parquet.ParquetFile(source)
    owners = _leaf_owners(as_written, as_written.schema_arrow)
    with_maps = {field.name for field in as_written.schema_arrow if _holds_a_map(field.type)}
    text_columns = [column.path for column, owner in zip(as_written.schema, owners)
                    if column.physical_type == "BYTE_ARRAY" and owner not in with_maps]
    return pa_parquet.ParquetFile(source, read_dictionary=text_columns), as_written.schema_arrow


def _holds_a_map(kind: pa.DataType) -> bool:
    if pa.types.is_map(kind):
        return True
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
        return _holds_a_map(kind.value_type)
    return pa.types.is_struct(kind) and any(_holds_a_map(kind.field(i).type) for i in range(kind.num_fields))


def _decoded(batch: pa.RecordBatch, decoded_types: pa.Schema | None) -> pa.RecordBatch:
    """The batch with the columns read as dictionaries cast back to their own types."""
    if decoded_types is None or batch.schema.equals(decoded_types):
        return batch
    return pa.RecordBatch.from_arrays(
        [column.cast(field.type) for column, field in zip(batch.columns, decoded_types)], schema=decoded_types,
    )


def cell_bytes(values: pa.Array) -> np.ndarray:
    """The bytes each cell of `values` takes once decoded: a dictionary's value counts at every
    row that refers to it; a list cell counts all its items. Computed without decoding."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        if len(values.dictionary) == 0:  # every cell is null: there is no entry 0 to point at
            return np.zeros(len(values), np.int64)
        sizes = cell_bytes(values.dictionary)[values.indices.fill_null(0).to_numpy(zero_copy_only=False)]
        return np.where(values.is_null().to_numpy(zero_copy_only=False), 0, sizes) if values.null_count else sizes
    if _is_variable_width(kind):
        return pc.binary_length(values).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind):
        if len(values) == 0:
            return np.zeros(0, np.int64)
        # Each item's row from the offsets (`value_parent_indices` aborts the process on a map);
        # the items under a null list are not the cell's.
        offsets = values.offsets.to_numpy(zero_copy_only=False)
        items = values.values.slice(offsets[0], offsets[-1] - offsets[0])
        parents = np.repeat(np.arange(len(values)), np.diff(offsets))
        sizes = np.bincount(parents, weights=cell_bytes(items), minlength=len(values)).astype(np.int64)
        return np.where(values.is_null().to_numpy(zero_copy_only=False), 0, sizes) if values.null_count else sizes
    if pa.types.is_fixed_size_list(kind):
        return cell_bytes(values.flatten()).reshape(len(values), kind.list_size).sum(axis=1)
    if pa.types.is_struct(kind):
        return sum((cell_bytes(child) for child in values.flatten()), np.zeros(len(values), np.int64))
    try:
        return np.full(len(values), max(kind.bit_width // 8, 1), np.int64)
    except ValueError:  # a type without a fixed width that none of the above knows
        return np.full(len(values), values.nbytes // max(len(values), 1), np.int64)


def _is_variable_width(kind: pa.DataType) -> bool:
    return any(check(kind) for check in (
        pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary,
        pa.types.is_string_view, pa.types.is_binary_view,
    ))


def _row_bytes(batch: pa.RecordBatch, *, first_row: int, max_value_bytes: int) -> np.ndarray:
    """Each row's decoded size; fails on the first cell larger than `max_value_bytes`."""
    total = np.zeros(batch.num_rows, np.int64)
    for name, column in zip(batch.schema.names, batch.columns):
        sizes = cell_bytes(column)
        if len(sizes) and sizes.max() > max_value_bytes:
            where = int(sizes.argmax())
            raise DatasetReadError(
                f"row {first_row + where:,} holds {int(sizes[where]):,} bytes in column {name!r}; a single value "
                f"may hold at most {max_value_bytes:,} (INDUS_IMPORT_MAX_VALUE_BYTES)"
            )
        total += sizes
    return total


def _slices_of_bytes(row_bytes: np.ndarray, budget: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive rows holding at most `budget` bytes (one row at least)."""
    ends = np.cumsum(row_bytes)
    start = 0
    while start < len(row_bytes):
        before = int(ends[start - 1]) if start else 0
        stop = max(int(np.searchsorted(ends, before + budget, side="right")), start + 1)
        yield start, stop
        start = stop


def _describe_arrow_error(error: pa.ArrowInvalid) -> str:
    message = str(error).strip()
    conversion = re.search(r"In CSV column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'", message)
    if conversion:
        index, arrow_type, value = conversion.groups()
        return (
            f"column #{int(index) + 1} changes type: its first rows read as {arrow_type} "
            f"but a later value is {value!r}"
        )
    return message.removeprefix("CSV parse error: ").removeprefix("JSON parse error: ")


@dataclass(frozen=True)
class Preview:
    """A file's first rows as {column: value}, long values cut; `first_cut_row` is the index of
    the first row with a value cut (None: none was)."""

    columns: list[str]
    rows: list[dict]
    first_cut_row: int | None


def read_preview(source, *, rows: int, max_bytes: int, value_chars: int) -> Preview:
    """The first `rows` rows of a Parquet file, in at most `max_bytes` of values: text and
    binary values are cut to `value_chars`, and the rows stop before the first one that would
    pass the budget."""
    parquet, decoded_types = open_parquet_as_dictionaries(source)
    taken: list[dict] = []
    used, first_cut = 0, None
    for batch in parquet.iter_batches(batch_size=_rows_per_read(parquet, rows, max_bytes)):
        batch, shortened = _shortened(batch.slice(0, rows - len(taken)), value_chars)
        sizes = sum((cell_bytes(column) for column in batch.columns), np.zeros(batch.num_rows, np.int64))
        fitting = int(np.searchsorted(np.cumsum(sizes), max_bytes - used, side="right"))
        if first_cut is None and shortened[:fitting].any():
            first_cut = len(taken) + int(shortened[:fitting].argmax())
        taken += batch.slice(0, fitting).to_pylist()  # a dictionary's to_pylist gives its values
        used += int(sizes[:fitting].sum())
        if fitting < batch.num_rows or len(taken) >= rows:
            break
    return Preview(columns=decoded_types.names, rows=taken, first_cut_row=first_cut)


def _rows_per_read(parquet: pa_parquet.ParquetFile, rows: int, max_bytes: int) -> int:
    """Few enough rows that their plain (not dictionary) values stay near `max_bytes`."""
    if parquet.metadata.num_row_groups == 0:
        return max(rows, 1)
    first = parquet.metadata.row_group(0)
    per_row = first.total_byte_size / max(first.num_rows, 1)
    return int(max(1, min(rows, max_bytes // max(per_row, 1))))


def _shortened(batch: pa.RecordBatch, chars: int) -> tuple[pa.RecordBatch, np.ndarray]:
    """The batch with its text and binary values cut to `chars`, and for each row whether a
    value of it was."""
    columns, cut = [], np.zeros(batch.num_rows, bool)
    for column in batch.columns:
        short = _shortened_values(column, chars)
        if short is not column:
            cut |= cell_bytes(short) < cell_bytes(column)
        columns.append(short)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names), cut


def _shortened_values(values: pa.Array, chars: int) -> pa.Array:
    kind = values.type
    if pa.types.is_dictionary(kind):
        short = _shortened_values(values.dictionary, chars)
        return values if short is values.dictionary else pa.DictionaryArray.from_arrays(values.indices, short)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pc.utf8_slice_codeunits(values, 0, chars)
    if _is_variable_width(kind):
        return pc.binary_slice(values, 0, chars)
    return values
