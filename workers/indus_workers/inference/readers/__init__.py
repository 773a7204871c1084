"""Streaming readers of the input formats, each yielding blocks of rows in file order.

Every reader reads a bounded block at a time, so memory stays flat however long the file is,
and keeps a row that cannot be parsed in its place (null values and a message), so that the
output can still hold every input row exactly once.
"""
from pathlib import Path

from indus.plugins.contract import JobInputError
from indus_workers.inference.readers.base import RawBlock, Reader
from indus_workers.inference.readers.csv import CsvReader
from indus_workers.inference.readers.jsonl import JsonLinesReader
from indus_workers.inference.readers.parquet import ParquetReader

READERS = {"csv": CsvReader, "jsonl": JsonLinesReader, "parquet": ParquetReader}

__all__ = ["RawBlock", "Reader", "open_reader"]


def open_reader(path: str, input_format: str, wanted_columns: list[str]) -> Reader:
    """A reader of `wanted_columns` (those the file has); raises JobInputError for a file
    that is missing, empty or not in the format."""
    if not Path(path).is_file():
        raise JobInputError(f"the input file {path} does not exist")
    if Path(path).stat().st_size == 0:
        raise JobInputError("the input file is empty")
    return READERS[input_format](path, wanted_columns)
