"""Rows as they travel through a job: numbered, with the errors found in them."""
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class RowChunk:
    """Consecutive input rows `first_row`, `first_row + 1`, ... A row with an error (it could
    not be parsed, or a value has the wrong type) keeps its place with null values, so that the
    output has every input row exactly once, in order."""

    first_row: int
    table: pa.Table
    errors: dict[int, str] = field(default_factory=dict)  # position in this chunk -> message

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    @property
    def end_row(self) -> int:
        return self.first_row + self.table.num_rows

    def good_positions(self) -> list[int]:
        return [position for position in range(self.num_rows) if position not in self.errors]

    def good_table(self) -> pa.Table:
        """The rows without an error, in order."""
        if not self.errors:
            return self.table
        return self.table.take(pa.array(self.good_positions(), type=pa.int64()))

    def slice(self, start: int, length: int) -> "RowChunk":
        errors = {position - start: message for position, message in self.errors.items() if start <= position < start + length}
        return RowChunk(self.first_row + start, self.table.slice(start, length), errors)


def concat_chunks(chunks: list[RowChunk]) -> RowChunk:
    """Adjacent chunks as one. Tables read from separate blocks can differ in type where a
    block had only nulls; permissive promotion unifies them."""
    errors, offset = {}, 0
    for chunk in chunks:
        errors.update({offset + position: message for position, message in chunk.errors.items()})
        offset += chunk.num_rows
    table = pa.concat_tables([chunk.table for chunk in chunks], promote_options="permissive")
    return RowChunk(chunks[0].first_row, table, errors)
