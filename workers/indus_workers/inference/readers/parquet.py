"""Parquet in row batches: the file's own types, and its row count for progress. A part of a
job starts at its first row without reading the row groups before it."""
import pyarrow as pa
import pyarrow.parquet as pa_parquet

from indus_workers.inference.readers.base import RawBlock, read_errors_as_input_errors

BATCH_ROWS = 16_384


class ParquetReader:
    def __init__(self, path: str, wanted_columns: list[str]):
        self.path = path
        with read_errors_as_input_errors(path, "Parquet"):
            self.file = pa_parquet.ParquetFile(path)
        file_schema = self.file.schema_arrow
        self.column_names = file_schema.names
        self.wanted = [name for name in wanted_columns if name in self.column_names]
        self.schema = pa.schema([file_schema.field(name) for name in self.wanted])
        self.total_rows = self.file.metadata.num_rows
        self.rows_read = 0

    def blocks(self, skip_rows: int = 0, end_row: int | None = None):
        """Only the row groups holding rows [skip_rows, end_row) are read; of the first, the
        rows before `skip_rows` are dropped (the caller cuts at `end_row`)."""
        groups, skipped, group_start = [], 0, 0
        for index in range(self.file.num_row_groups):
            rows = self.file.metadata.row_group(index).num_rows
            if group_start + rows <= skip_rows:
                skipped += rows
            elif end_row is None or group_start < end_row:
                groups.append(index)
            group_start += rows
        self.rows_read = skipped
        to_drop = skip_rows - skipped
        with read_errors_as_input_errors(self.path, "Parquet"):
            for batch in self.file.iter_batches(batch_size=BATCH_ROWS, columns=self.wanted, row_groups=groups):
                self.rows_read += batch.num_rows
                if to_drop >= batch.num_rows:
                    to_drop -= batch.num_rows
                    continue
                yield RawBlock(pa.Table.from_batches([batch.slice(to_drop)]))
                to_drop = 0

    def fraction_read(self) -> float:
        return self.rows_read / self.total_rows if self.total_rows else 1.0
