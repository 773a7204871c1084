"""What every reader gives: blocks of rows, in order, with the rows it could not parse."""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from indus.plugins.contract import JobInputError


@dataclass
class RawBlock:
    table: pa.Table  # the wanted columns, as read; an unparsable row is a row of nulls
    broken: dict[int, str] = field(default_factory=dict)  # position in the block -> why it could not be parsed


class Reader(Protocol):
    column_names: list[str]  # every column of the file
    schema: pa.Schema  # the wanted columns, typed as the reader reads them

    def blocks(self, skip_rows: int = 0, end_row: int | None = None) -> Iterator[RawBlock]:
        """The rows from row `skip_rows` on (a part of a job starts there); a reader may stop
        after `end_row` (the caller cuts there)."""
        ...

    def fraction_read(self) -> float: ...


def sliced_block(block: RawBlock, start: int, length: int | None = None) -> RawBlock:
    """Rows [start, start + length) of a block, with their parse errors."""
    length = block.table.num_rows - start if length is None else length
    broken = {position - start: message for position, message in block.broken.items() if start <= position < start + length}
    return RawBlock(block.table.slice(start, length), broken)


def blocks_from(blocks: Iterator[RawBlock], skip_rows: int) -> Iterator[RawBlock]:
    """`blocks` without their first `skip_rows` rows, for formats that must be read to be
    skipped (CSV, JSON Lines): they are parsed, to keep the row count right, and dropped."""
    for block in blocks:
        if skip_rows >= block.table.num_rows:
            skip_rows -= block.table.num_rows
            continue
        yield sliced_block(block, skip_rows) if skip_rows else block
        skip_rows = 0


@contextmanager
def read_errors_as_input_errors(path: str, format_name: str):
    """A file pyarrow cannot read at all (not UTF-8, not Parquet) is the user's input problem."""
    try:
        yield
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as error:
        raise JobInputError(f"{Path(path).name} cannot be read as {format_name}: {error}") from None


def with_columns(table: pa.Table, names: list[str]) -> pa.Table:
    """`names` in that order; a name the block lacks (JSON keys come and go) as nulls."""
    return pa.table({name: table.column(name) if name in table.column_names else pa.nulls(table.num_rows) for name in names})


def place_rows(good: pa.Table, broken_positions: list[int]) -> pa.Table:
    """`good` rows with a row of nulls inserted at each of the (sorted) final positions."""
    if not broken_positions:
        return good
    indices, next_good, broken = [], 0, set(broken_positions)
    for position in range(good.num_rows + len(broken_positions)):
        if position in broken:
            indices.append(None)
        else:
            indices.append(next_good)
            next_good += 1
    return good.take(pa.array(indices, type=pa.int64()))
