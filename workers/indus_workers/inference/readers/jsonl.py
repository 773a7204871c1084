"""JSON Lines in blocks of whole lines, each parsed by pyarrow.

pyarrow's streaming JSON reader stops at the first malformed line, and a job that marks bad
rows must go past it. So this reader cuts the file into blocks of whole lines itself and parses
each block with `pyarrow.json.read_json`; only a block that fails is parsed again line by line,
to keep its good rows and mark the bad ones. Blank lines are not rows (as for pyarrow).
"""
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json

from indus_workers.inference.readers.base import RawBlock, blocks_from, place_rows, with_columns

BLOCK_BYTES = 1 << 20


class JsonLinesReader:
    def __init__(self, path: str, wanted_columns: list[str]):
        self.path = path
        self.size = Path(path).stat().st_size
        self.bytes_read = 0
        # The columns are the keys of the first block's rows: JSON has no header.
        first = next(self._line_blocks(), (b"", 1))
        first_table = self._parse(*first, names=None).table if first[0] else pa.table({})
        self.column_names = first_table.column_names
        self.wanted = [name for name in wanted_columns if name in self.column_names]
        self.schema = first_table.select(self.wanted).schema

    def _line_blocks(self) -> Iterator[tuple[bytes, int]]:
        """(block of whole lines, the line number it starts on)."""
        line = 1
        with open(self.path, "rb") as source:
            carried = b""
            while data := source.read(BLOCK_BYTES):
                self.bytes_read = source.tell()
                data = carried + data
                cut = data.rfind(b"\n") + 1
                block, carried = data[:cut], data[cut:]
                if block:
                    yield block, line
                    line += block.count(b"\n")
            if carried.strip():
                yield carried + b"\n", line

    def blocks(self, skip_rows: int = 0, end_row: int | None = None) -> Iterator[RawBlock]:
        return blocks_from(self._every_block(), skip_rows)

    def _every_block(self) -> Iterator[RawBlock]:
        for block, first_line in self._line_blocks():
            yield self._parse(block, first_line, names=self.wanted)

    def _parse(self, block: bytes, first_line: int, *, names: list[str] | None) -> RawBlock:
        """The block's rows with the columns `names` (None: every key found)."""
        try:
            options = pa_json.ReadOptions(use_threads=False, block_size=len(block) + 1)
            table = pa_json.read_json(io.BytesIO(block), read_options=options)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return self._parse_lines(block, first_line, names=names)
        return RawBlock(table if names is None else with_columns(table, names))

    def _parse_lines(self, block: bytes, first_line: int, *, names: list[str] | None) -> RawBlock:
        rows, broken = [], {}
        for number, line in enumerate(block.split(b"\n"), start=first_line):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as error:
                broken[len(rows) + len(broken)] = f"line {number} is not valid JSON ({error.msg})"
                continue
            if not isinstance(row, dict):
                broken[len(rows) + len(broken)] = f"line {number} is not a JSON object"
                continue
            rows.append(row)
        if names is None:
            names = sorted({key for row in rows for key in row})
        good = pa.table({name: _array([row.get(name) for row in rows]) for name in names})
        return RawBlock(place_rows(good, sorted(broken)), broken)

    def fraction_read(self) -> float:
        return self.bytes_read / self.size if self.size else 0.0


def _array(values: list) -> pa.Array:
    """Values of one key; where their JSON types are mixed, as text, for the conform step to
    read (or to reject) value by value."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([value if value is None or isinstance(value, str) else json.dumps(value) for value in values])
