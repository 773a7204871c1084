"""The file formats a dataset version can be read from, known by their file name, and the text
encodings a CSV or JSON Lines upload may be given in."""
import codecs
from pathlib import PurePosixPath

FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def format_for_filename(filename: str) -> str | None:
    return FORMATS_BY_SUFFIX.get(PurePosixPath(filename).suffix.lower())


def text_encoding_problem(encoding: str) -> str | None:
    """Why `encoding` cannot decode an uploaded file, or None if it can.

    `codecs.lookup` also finds codecs that are not text encodings (`zlib_codec` turns bytes
    into bytes, `rot13` text into text) and `undefined`, which refuses everything. Decoding a
    few bytes tells them apart: `bytes.decode` takes text encodings only. (Empty bytes would
    not do: they decode to "" before the codec is even looked up.)
    """
    try:
        b"\x00\x00\x00\x00".decode(encoding)
    except UnicodeDecodeError:  # a text encoding these bytes are not valid in
        return None
    except LookupError:
        try:
            codecs.lookup(encoding)
        except LookupError:
            return f"unknown text encoding {encoding!r}"
        return f"{encoding!r} is a codec but not a text encoding; give one such as utf-8 or latin-1"
    except UnicodeError:
        return f"{encoding!r} cannot decode a file's text; give an encoding such as utf-8 or latin-1"
    return None
