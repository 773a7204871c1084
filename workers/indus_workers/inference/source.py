"""The input file as a stream of numbered, type-checked chunks that never cross a part boundary."""
from collections.abc import Iterator

import pyarrow as pa

from indus.plugins.contract import Column, JobInputError
from indus_workers.inference.chunks import RowChunk, concat_chunks
from indus_workers.inference.conform import check_column_types, conform_table
from indus_workers.inference.readers import Reader, open_reader
from indus_workers.inference.readers.base import sliced_block


class InputSource:
    def __init__(
        self, path: str, input_format: str, columns: list[Column], id_column: str | None,
        *, kept_columns: tuple[str, ...] = (),
    ):
        """`columns` are converted to the types the model reads; the id column and
        `kept_columns` (an evaluation's target, say) are required and read as they are."""
        self.path = path
        self.input_format = input_format
        self.columns = columns
        self.id_column = id_column
        self.kept_columns = [name for name in (id_column, *kept_columns) if name]
        self.wanted = list(dict.fromkeys([*self.kept_columns, *(column.name for column in columns)]))
        self.reader: Reader | None = None

    def check(self) -> None:
        """Raise for what can be seen without reading the rows: a missing or empty file, missing
        columns (all of them named), columns of a type that cannot hold their values."""
        reader = open_reader(self.path, self.input_format, self.wanted)
        required = [*self.kept_columns, *(column.name for column in self.columns if column.required)]
        missing = [name for name in dict.fromkeys(required) if name not in reader.column_names]
        if missing:
            raise JobInputError(
                f"the input has no column {', '.join(map(repr, missing))} (it has {', '.join(map(repr, reader.column_names))})"
            )
        check_column_types(reader.schema, self.columns)

    def fraction_read(self) -> float:
        return self.reader.fraction_read() if self.reader else 0.0

    def chunks(self, *, chunk_rows: int, part_rows: int, rows: tuple[int, int | None] = (0, None)) -> Iterator[RowChunk]:
        """Chunks of at most `chunk_rows` rows, each inside one part of `part_rows` rows, so
        that a part is complete exactly when its last chunk is done. `rows` is the range
        [first, end) to read (end None: to the end of the file), for a part of a job split
        into parts; chunks are numbered by their rows in the file, and parts of `part_rows`
        rows counted from `first`."""
        first_row, end_row = rows
        self.reader = open_reader(self.path, self.input_format, self.wanted)
        pending: list[RowChunk] = []
        next_row = first_row
        for block in self.reader.blocks(skip_rows=first_row, end_row=end_row):
            if end_row is not None and next_row + block.table.num_rows > end_row:
                block = sliced_block(block, 0, end_row - next_row)
            table, errors = conform_table(block.table, self.columns)
            if table.num_rows == 0:
                if end_row is not None and next_row >= end_row:
                    break
                continue
            pending.append(RowChunk(next_row, table, {**errors, **block.broken}))
            next_row += table.num_rows
            while pending and sum(chunk.num_rows for chunk in pending) >= _chunk_size(pending[0].first_row - first_row, chunk_rows, part_rows):
                chunk, rest = _split(pending, _chunk_size(pending[0].first_row - first_row, chunk_rows, part_rows))
                pending = [rest] if rest.num_rows else []
                yield chunk
            if end_row is not None and next_row >= end_row:
                break
        if next_row == first_row:
            raise JobInputError("the input file has no rows" if not first_row else f"the input file has no rows from row {first_row} on")
        if pending:
            yield _joined(pending)


def _chunk_size(first_row: int, chunk_rows: int, part_rows: int) -> int:
    part_end = (first_row // part_rows + 1) * part_rows
    return min(chunk_rows, part_end - first_row)


def _split(pending: list[RowChunk], size: int) -> tuple[RowChunk, RowChunk]:
    joined = _joined(pending)
    return joined.slice(0, size), joined.slice(size, joined.num_rows - size)


def _joined(chunks: list[RowChunk]) -> RowChunk:
    try:
        return concat_chunks(chunks) if len(chunks) > 1 else chunks[0]
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise JobInputError(f"a column holds values of different types in different rows: {error}") from None
