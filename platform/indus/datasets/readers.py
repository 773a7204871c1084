"""Streaming readers for CSV, JSONL and Parquet with errors a person can act on.

Every reader yields pyarrow record batches, so memory stays flat however large the file is,
and turns pyarrow's parse errors into a `DatasetReadError` that says what is wrong and where.
"""
import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
import pyarrow.parquet as pa_parquet

# Types are inferred from the first block, so a large block makes a late type change rarer.
BLOCK_SIZE = 16 * 1024**2
ENCODING_CHECK_CHUNK = 1024**2


class DatasetReadError(ValueError):
    pass


def check_text_encoding(stream: BinaryIO, encoding: str) -> None:
    """Fail with the line of the first byte that is not valid in `encoding`."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise DatasetReadError(f"unknown encoding {encoding!r}") from None
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


def iter_record_batches(stream: BinaryIO, fmt: str, *, encoding: str = "utf-8", delimiter: str = ",") -> Iterator[pa.RecordBatch]:
    readers = {"csv": _csv_batches, "jsonl": _jsonl_batches, "parquet": _parquet_batches}
    if fmt not in readers:
        raise DatasetReadError(f"unsupported format {fmt!r}; use one of {sorted(readers)}")
    yield from readers[fmt](stream, encoding=encoding, delimiter=delimiter)


def _csv_batches(stream, *, encoding: str, delimiter: str) -> Iterator[pa.RecordBatch]:
    first_bad_row = []

    def remember_bad_row(row) -> str:
        first_bad_row.append(row)
        return "error"

    try:
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(encoding=encoding, block_size=BLOCK_SIZE, use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, invalid_row_handler=remember_bad_row),
        )
        yield from reader
    except pa.ArrowInvalid as error:
        if first_bad_row:
            row = first_bad_row[0]
            where = f"row {row.number}" if row.number is not None else "a row"
            raise DatasetReadError(
                f"{where} has {row.actual_columns} fields but the header has {row.expected_columns}: "
                f"{row.text[:80]!r}"
            ) from None
        raise DatasetReadError(_describe_arrow_error(error)) from None


def _jsonl_batches(stream, *, encoding: str, delimiter: str) -> Iterator[pa.RecordBatch]:
    if encoding.replace("-", "").lower() != "utf8":
        raise DatasetReadError("JSON Lines files must be UTF-8")
    try:
        yield from pa_json.open_json(stream, read_options=pa_json.ReadOptions(block_size=BLOCK_SIZE))
    except pa.ArrowInvalid as error:
        raise DatasetReadError(_describe_arrow_error(error)) from None


def _parquet_batches(stream, *, encoding: str, delimiter: str) -> Iterator[pa.RecordBatch]:
    try:
        yield from pa_parquet.ParquetFile(stream).iter_batches(batch_size=65_536)
    except (pa.ArrowInvalid, OSError) as error:
        raise DatasetReadError(f"not a readable Parquet file: {error}") from None


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
