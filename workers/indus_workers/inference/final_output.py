"""The parts joined into the file the user asked for, which appears whole or not at all.

Parts are read one at a time, so joining takes the memory of one part. Their schemas are unified
first: a part whose rows were all bad has no prediction columns, and a column that was null
throughout a part has the null type. CSV cannot hold lists or records: such values are written
as JSON text.
"""
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet

from indus_workers.inference.outputs import ERROR_COLUMN
from indus_workers.inference.parts import write_atomically


def unified_schema(part_paths: list[Path]) -> pa.Schema:
    schema = pa.unify_schemas([pa_parquet.read_schema(path) for path in part_paths], promote_options="permissive")
    # Whatever order the parts brought them in, the error column goes last.
    if ERROR_COLUMN in schema.names:
        error = schema.field(ERROR_COLUMN)
        schema = pa.schema([field for field in schema if field.name != ERROR_COLUMN] + [error])
    return schema


def conformed_part(path: Path, schema: pa.Schema) -> pa.Table:
    table = pa_parquet.read_table(path)
    columns = [
        table.column(field.name).cast(field.type) if field.name in table.column_names else pa.nulls(table.num_rows, field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _is_nested(arrow_type: pa.DataType) -> bool:
    return pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_struct(arrow_type)


def _as_csv(table: pa.Table) -> pa.Table:
    for index, field in enumerate(table.schema):
        if _is_nested(field.type):
            text = pa.array([None if value is None else json.dumps(value) for value in table.column(index).to_pylist()], pa.string())
            table = table.set_column(index, field.name, text)
    return table


def _write_parquet(part_paths: list[Path], schema: pa.Schema, path: Path) -> None:
    with pa_parquet.ParquetWriter(path, schema) as writer:
        for part in part_paths:
            writer.write_table(conformed_part(part, schema))


def _write_csv(part_paths: list[Path], schema: pa.Schema, path: Path) -> None:
    csv_schema = pa.schema([pa.field(field.name, pa.string()) if _is_nested(field.type) else field for field in schema])
    with pa_csv.CSVWriter(path, csv_schema) as writer:
        for part in part_paths:
            writer.write_table(_as_csv(conformed_part(part, schema)))


def _write_jsonl(part_paths: list[Path], schema: pa.Schema, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as output:
        for part in part_paths:
            for batch in conformed_part(part, schema).to_batches():
                output.writelines(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in batch.to_pylist())


WRITERS = {"parquet": _write_parquet, "csv": _write_csv, "jsonl": _write_jsonl}


def write_final_output(part_paths: list[Path], output_path: str | Path, output_format: str) -> None:
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    schema = unified_schema(part_paths)
    write_atomically(output_path, lambda path: WRITERS[output_format](part_paths, schema, path))
