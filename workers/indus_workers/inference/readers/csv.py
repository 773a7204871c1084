"""CSV with pyarrow's streaming reader, every column read as text.

CSV has no types: reading every column as text means a stray word in a number column fails
that one value (the conform step finds it) instead of the whole block, and an identifier keeps
its leading zeros. A row with the wrong number of fields is skipped by the parser, which says
which record it was; it is put back in its place as a row of nulls with a message. For that the
parser runs single-threaded (record numbers are unknown otherwise) and keeps blank lines as
rows (of nulls), so that records and output rows stay in step.
"""
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.csv as pa_csv

from indus_workers.inference.readers.base import RawBlock, blocks_from, place_rows, read_errors_as_input_errors

BLOCK_BYTES = 1 << 20
HEADER_RECORDS = 1


class CsvReader:
    def __init__(self, path: str, wanted_columns: list[str]):
        self.path = path
        with read_errors_as_input_errors(path, "CSV"), pa.OSFile(path) as source:
            # The header is all this needs; rows the first block cannot parse are for `blocks`.
            skip_all = pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda row: "skip")
            self.column_names = pa_csv.open_csv(source, read_options=self._read_options(), parse_options=skip_all).schema.names
        self.wanted = [name for name in wanted_columns if name in self.column_names]
        self.schema = pa.schema([(name, pa.string()) for name in self.wanted])
        self.size = 0
        self.bytes_read = 0

    @staticmethod
    def _read_options() -> pa_csv.ReadOptions:
        return pa_csv.ReadOptions(use_threads=False, block_size=BLOCK_BYTES)

    def blocks(self, skip_rows: int = 0, end_row: int | None = None) -> Iterator[RawBlock]:
        return blocks_from(self._every_block(), skip_rows)

    def _every_block(self) -> Iterator[RawBlock]:
        skipped: list[pa_csv.InvalidRow] = []

        def skip_and_remember(row: pa_csv.InvalidRow) -> str:
            skipped.append(row)
            return "skip"

        with read_errors_as_input_errors(self.path, "CSV"), pa.OSFile(self.path) as source:
            self.size = source.size()
            reader = pa_csv.open_csv(
                source,
                read_options=self._read_options(),
                parse_options=pa_csv.ParseOptions(
                    newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=skip_and_remember
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types={name: pa.string() for name in self.column_names}, strings_can_be_null=True
                ),
            )
            placer = BrokenRowPlacer(first_record=HEADER_RECORDS + 1)
            for batch in reader:
                self.bytes_read = source.tell()
                table = pa.Table.from_batches([batch])
                placer.pending.extend(skipped)
                skipped.clear()
                yield placer.block(table, self.wanted)
            placer.pending.extend(skipped)
            if placer.pending:
                yield placer.block(pa.Table.from_batches([], schema=reader.schema), self.wanted, last=True)
        self.bytes_read = self.size

    def fraction_read(self) -> float:
        return self.bytes_read / self.size if self.size else 0.0


class BrokenRowPlacer:
    """Puts skipped rows back between the parsed ones by record number."""

    def __init__(self, first_record: int):
        self.record = first_record  # the number of the next record
        self.pending: list[pa_csv.InvalidRow] = []

    def block(self, parsed: pa.Table, wanted: list[str], *, last: bool = False) -> RawBlock:
        if not self.pending:
            self.record += parsed.num_rows
            return RawBlock(parsed.select(wanted))
        self.pending.sort(key=lambda row: row.number if row.number is not None else self.record)
        broken: dict[int, str] = {}
        for position in range(parsed.num_rows + len(self.pending) + 1):
            next_broken = self.pending[0] if self.pending else None
            if next_broken is not None and (last or next_broken.number is None or next_broken.number <= self.record):
                broken[position] = f"{next_broken.actual_columns} fields where the header has {next_broken.expected_columns}"
                self.pending.pop(0)
            elif position - len(broken) >= parsed.num_rows:
                break
            self.record += 1
        return RawBlock(place_rows(parsed.select(wanted), sorted(broken)), broken)
