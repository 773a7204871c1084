"""Parquet in row batches: the file's own types, and its row count for progress."""
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

    def blocks(self):
        with read_errors_as_input_errors(self.path, "Parquet"):
            for batch in self.file.iter_batches(batch_size=BATCH_ROWS, columns=self.wanted):
                self.rows_read += batch.num_rows
                yield RawBlock(pa.Table.from_batches([batch]))

    def fraction_read(self) -> float:
        return self.rows_read / self.total_rows if self.total_rows else 1.0
