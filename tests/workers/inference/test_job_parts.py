"""A batch-inference job split into parts, on the worker side: each part computes only its rows
(reading a Parquet file from the row group its first row is in), and the parts joined give
the output, the explanations and the drift of the same job run whole."""
import json
from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest

from indus.plugins.contract import Column
from indus_workers.inference import ModelCache, run_inference
from indus_workers.inference.drift import DriftMonitor
from indus_workers.inference.runner import assemble_parts, run_inference_part
from indus_workers.inference.source import InputSource
from tests.workers.inference.conftest import RecordedEvents, applications, make_spec, read_output, reviews
from tests.workers.inference.test_drift import COLUMNS, platform_profile

RANGES = [(0, 150), (150, 250), (250, 400)]  # on the output parts' edges, as the platform cuts them


def summaries_equal(merged, one_pass) -> None:
    """Equal, the floats to rounding: sums added in another order differ in their last bits."""
    if isinstance(one_pass, dict):
        assert merged.keys() == one_pass.keys()
        for key in one_pass:
            summaries_equal(merged[key], one_pass[key])
    elif isinstance(one_pass, float):
        assert merged == pytest.approx(one_pass, rel=1e-9, abs=1e-12)
    else:
        assert merged == one_pass


def monitor_over(table: pa.Table, reference: dict, columns, chunk_rows: int = 37) -> DriftMonitor:
    monitor = DriftMonitor(reference, columns)
    for batch in table.to_batches(max_chunksize=chunk_rows):
        monitor.add(pa.Table.from_batches([batch]))
    return monitor


@pytest.mark.parametrize("table,columns", [
    (applications(400, seed=3, income_shift=8000), COLUMNS),
    (reviews(400, seed=4), [Column("review", "text")]),
], ids=["numbers-categories-booleans", "text"])
def test_drift_merged_from_parts_is_the_drift_of_one_pass(table, columns):
    reference = platform_profile(applications(300, seed=1) if columns is COLUMNS else reviews(300, seed=1))
    one_pass = monitor_over(table, reference, columns).summary()
    # Each part's statistics travel as JSON, as they do through the database.
    partials = [json.loads(json.dumps(monitor_over(table.slice(first, end - first), reference, columns).partial()))
                for first, end in RANGES]
    merged = DriftMonitor.merged(partials, reference, columns).summary()
    summaries_equal(merged, one_pass)
    assert merged["rows"] == 400 and merged["features"]


def test_parts_joined_equal_the_job_run_whole(tmp_path, tabular_model_dir):
    table = applications(400, seed=5, income_shift=5000)
    incomes = [("lots" if row == 200 else str(value)) for row, value in enumerate(table.column("income").to_pylist())]
    table = table.set_column(1, "income", pa.array(incomes))  # as text, with one value no number
    whole = make_spec(tmp_path / "whole", tabular_model_dir, table, id_column="applicant", rows_per_part=50,
                      on_bad_rows="mark", explain={"top": 3}, reference_profile=platform_profile(applications(300, seed=1)))
    pa_parquet.write_table(table, whole.input_path, row_group_size=64)  # parts start inside row groups
    cache = ModelCache()
    expected = run_inference(whole, RecordedEvents(), cache=cache)

    results = []
    for index, (first, end) in enumerate(RANGES):
        part = replace(whole, output_dir=str(tmp_path / "parts" / f"part-{index}"), first_row=first, end_row=end)
        result = run_inference_part(part, RecordedEvents(), cache=cache)
        assert result["rows"] == end - first and result["files"][0]["first_row"] == first
        results.append({**result, "files": [{**f, "file": f"part-{index}/{f['file']}"} for f in result["files"]]})
    joined = replace(whole, output_dir=str(tmp_path / "parts"), output_path=str(tmp_path / "joined.parquet"))
    assembled = assemble_parts(joined, results, RecordedEvents(), cache=cache, seconds=1.0)

    assert read_output(joined.output_path, "parquet").equals(read_output(whole.output_path, "parquet"))
    assert (assembled["rows"], assembled["bad_rows"], assembled["job_parts"]) == (400, 1, 3)
    assert [e["row"] for e in assembled["explanations"]] == [e["row"] for e in expected["explanations"]]
    summaries_equal(assembled["drift"], expected["drift"])


def test_a_part_reads_only_its_rows_numbered_as_in_the_file(tmp_path):
    table = applications(300, seed=6)
    path = tmp_path / "input.parquet"
    pa_parquet.write_table(table, path, row_group_size=40)
    source = InputSource(str(path), "parquet", COLUMNS, "applicant")
    chunks = list(source.chunks(chunk_rows=25, part_rows=50, rows=(90, 210)))
    assert chunks[0].first_row == 90 and chunks[-1].end_row == 210
    assert [chunk.num_rows for chunk in chunks][:3] == [25, 25, 25]  # parts of 50 rows counted from row 90
    ids = pa.concat_tables([chunk.table for chunk in chunks]).column("applicant").to_pylist()
    assert ids == table.column("applicant").to_pylist()[90:210]
    assert source.reader.rows_read < 300  # the row groups after the range were not read
