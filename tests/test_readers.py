"""Streaming readers: the errors they give for broken files, and flat memory per batch."""
import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest

from indus.datasets import readers
from indus.datasets.profiling import DatasetProfiler
from indus.datasets.readers import DatasetReadError, check_text_encoding, iter_record_batches


def read_all(data: bytes, fmt: str, **options) -> pa.Table:
    return pa.Table.from_batches(list(iter_record_batches(io.BytesIO(data), fmt, **options)))


def test_ragged_csv_names_the_row_and_field_counts():
    with pytest.raises(DatasetReadError, match=r"has 4 fields but the header has 3: '4,5,6,7'"):
        read_all(b"a,b,c\n1,2,3\n4,5,6,7\n", "csv")


def test_wrong_encoding_names_the_line():
    with pytest.raises(DatasetReadError, match="line 3 is not valid utf-8"):
        check_text_encoding(io.BytesIO("name\nok\ncaf\xe9\n".encode("latin-1")), "utf-8")


def test_declared_encoding_is_transcoded():
    table = read_all("name\ncaf\xe9\n".encode("latin-1"), "csv", encoding="latin-1")
    assert table.column("name").to_pylist() == ["café"]


def test_custom_delimiter():
    assert read_all(b"a;b\n1;2\n", "csv", delimiter=";").column_names == ["a", "b"]


def test_broken_jsonl_is_explained():
    with pytest.raises(DatasetReadError, match="row 1"):
        read_all(b'{"a": 1}\n{"a":\n', "jsonl")


def test_parquet_is_read_in_batches_of_bounded_bytes():
    """One row group of 3,000,000 int64 (24 MB): batches sized from the footer, not by a count of rows."""
    sink = io.BytesIO()
    pa_parquet.write_table(pa.table({"x": np.arange(3_000_000, dtype=np.int64)}), sink)
    batches = list(iter_record_batches(io.BytesIO(sink.getvalue()), "parquet"))
    assert len(batches) > 1 and sum(b.num_rows for b in batches) == 3_000_000
    assert max(b.nbytes for b in batches) <= readers.PARQUET_BATCH_BYTES


def test_not_parquet_is_refused():
    with pytest.raises(DatasetReadError, match="not a readable Parquet file"):
        read_all(b"a,b\n1,2\n", "parquet")


def test_profile_counts_missing_distinct_and_ranges_across_batches():
    schema = pa.schema([("amount", pa.float64()), ("label", pa.string())])
    profiler = DatasetProfiler(schema)
    profiler.add(pa.record_batch([[1.0, None, 3.0], ["good", "bad", "good"]], schema=schema))
    profiler.add(pa.record_batch([[5.0], [None]], schema=schema))
    amount, label = profiler.as_dict()["columns"]
    assert profiler.row_count == 4
    assert (amount["missing"], amount["min"], amount["max"], amount["mean"]) == (1, 1.0, 5.0, 3.0)
    assert (label["missing"], label["distinct"]) == (1, 2)
    assert label["top_values"] == [{"value": "good", "count": 2}, {"value": "bad", "count": 1}]
    # "good", "bad", "good": lengths 4, 3, 4 characters, what text drift is measured against
    assert label["length"]["mean"] == pytest.approx(11 / 3)
    assert label["length"]["std"] == pytest.approx((((4 - 11 / 3) ** 2) * 2 + (3 - 11 / 3) ** 2) ** 0.5 / 3 ** 0.5)
    assert "length" not in amount


def test_a_map_column_is_read_and_measured():
    """A map of text keys: reading its keys as dictionaries and casting back, or asking a map for
    its items' rows (`value_parent_indices`), aborted the whole worker process in pyarrow."""
    table = pa.table({"m": pa.array([{"a": 1}, None, {"bb": 2, "c": 3}], pa.map_(pa.string(), pa.int64()))})
    sink = io.BytesIO()
    pa_parquet.write_table(table, sink)
    assert read_all(sink.getvalue(), "parquet").to_pylist() == table.to_pylist()
    assert readers.cell_bytes(table.column("m").chunk(0)).tolist() == [1 + 8, 0, 2 + 8 + 1 + 8]
