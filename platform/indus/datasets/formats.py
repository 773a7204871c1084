"""The file formats a dataset version can be read from, known by their file name."""
from pathlib import PurePosixPath

FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def format_for_filename(filename: str) -> str | None:
    return FORMATS_BY_SUFFIX.get(PurePosixPath(filename).suffix.lower())
