"""End to end on tiny models: every input format, every output format, the columns of each task kind,
and the same predictions as the simple path (`predict_rows` over the whole table)."""
import json

import numpy as np
import pyarrow as pa
import pytest

from indus_workers.inference import ModelCache, run_inference
from indus_workers.model import load_model
from tests.workers.inference.conftest import (
    RecordedEvents,
    applications,
    make_spec,
    read_output,
    reviews,
    sensor_readings,
)


def simple_predictions(model_dir, table: pa.Table) -> list[dict]:
    model = load_model(model_dir)
    return model.predict_rows(model.featurize(table, inference=True))


@pytest.mark.parametrize("input_format", ["csv", "jsonl", "parquet"])
def test_text_classes_match_the_simple_path_in_row_order(tmp_path, text_model_dir, input_format):
    table = reviews(300, seed=5)
    spec = make_spec(tmp_path, text_model_dir, table, input_format=input_format, id_column="review_id",
                     batch_size=16, rows_per_part=128)
    events = RecordedEvents()
    result = run_inference(spec, events, cache=ModelCache())

    output = read_output(spec.output_path, "parquet")
    assert result["rows"] == output.num_rows == table.num_rows and result["bad_rows"] == 0
    assert result["parts"] == 3  # 128 + 128 + 44
    assert output.column("review_id").to_pylist() == table.column("review_id").to_pylist()
    assert output.column_names == ["review_id", "label", "score", "p_negative", "p_positive"]
    expected = simple_predictions(text_model_dir, table)
    assert output.column("label").to_pylist() == [row["label"] for row in expected]
    for label in ("negative", "positive"):
        np.testing.assert_allclose(output.column(f"p_{label}").to_numpy(), [row["probabilities"][label] for row in expected], atol=1e-4)
    fractions = [event[1] for event in events.of("progress")]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    json.dumps(result)  # the platform stores the result as JSON


@pytest.mark.parametrize("output_format", ["csv", "jsonl"])
def test_other_output_formats_hold_the_same_rows(tmp_path, text_model_dir, output_format):
    table = reviews(40, seed=6)
    run_inference(make_spec(tmp_path / "parquet", text_model_dir, table), RecordedEvents())
    spec = make_spec(tmp_path, text_model_dir, table, output_format=output_format)
    run_inference(spec, RecordedEvents())

    reference = read_output(tmp_path / "parquet" / "out.parquet", "parquet")
    written = read_output(spec.output_path, output_format)
    assert written.column("row").to_pylist() == list(range(table.num_rows))
    assert written.column("label").to_pylist() == reference.column("label").to_pylist()
    np.testing.assert_allclose(written.column("p_positive").to_numpy(), reference.column("p_positive").to_numpy(), atol=1e-6)


def test_tabular_regression_writes_a_value_per_applicant(tmp_path, tabular_model_dir):
    table = applications(200, seed=7)
    spec = make_spec(tmp_path, tabular_model_dir, table.drop_columns(["credit_limit"]), input_format="csv", id_column="applicant")
    run_inference(spec, RecordedEvents())

    output = read_output(spec.output_path, "parquet")
    assert output.column_names == ["applicant", "value"]
    assert output.column("applicant").to_pylist() == [str(applicant) for applicant in table.column("applicant").to_pylist()]
    expected = [row["value"] for row in simple_predictions(tabular_model_dir, table)]
    np.testing.assert_allclose(output.column("value").to_numpy(), expected, rtol=1e-4)
    # The tiny model learned the limit: predictions follow it.
    assert np.corrcoef(output.column("value").to_numpy(), table.column("credit_limit").to_numpy())[0, 1] > 0.8


def test_token_tags_come_with_one_tag_per_word_and_entity_spans(tmp_path, tagging_model_dir):
    sentences = [["Take", "ibuprofen", "daily"], ["Rest"], ["Take", "vitamin", "d"]]
    spec = make_spec(tmp_path, tagging_model_dir, pa.table({"words": sentences}), input_format="jsonl", output_format="jsonl")
    run_inference(spec, RecordedEvents())

    rows = read_output(spec.output_path, "jsonl").to_pylist()
    assert [len(row["tags"]) for row in rows] == [3, 1, 3]
    assert rows[0]["tags"] == ["O", "B-DRUG", "O"]
    assert rows[0]["spans"] == [{"label": "DRUG", "start": 1, "end": 2, "text": "ibuprofen"}]
    assert rows[1]["spans"] == []
    assert rows[2]["spans"] == [{"label": "DRUG", "start": 1, "end": 3, "text": "vitamin d"}]


def test_token_words_can_come_from_a_csv_cell(tmp_path, tagging_model_dir):
    spec = make_spec(tmp_path, tagging_model_dir, pa.table({"words": ['["Take", "ibuprofen", "daily"]', "Stop paracetamol now"]}),
                     input_format="csv", output_format="csv")
    run_inference(spec, RecordedEvents())
    written = read_output(spec.output_path, "csv")
    assert [json.loads(tags) for tags in written.column("tags").to_pylist()] == [["O", "B-DRUG", "O"], ["O", "B-DRUG", "O"]]
    assert json.loads(written.column("spans")[1].as_py())[0]["text"] == "paracetamol"


def test_ranking_writes_the_top_items_and_their_scores(tmp_path, ranking_model_dir):
    spec = make_spec(tmp_path, ranking_model_dir, pa.table({"customer": ["ann", "bob"], "basket_size": [1.0, 5.0]}))
    run_inference(spec, RecordedEvents())
    output = read_output(spec.output_path, "parquet").to_pylist()
    assert [row["items"][0] for row in output] == ["tea", "beer"]
    assert all(len(row["items"]) == len(row["scores"]) == 2 and row["scores"][0] >= row["scores"][1] for row in output)


def test_forecasts_come_one_per_series_from_a_file_in_any_order(tmp_path, forecast_model_dir):
    readings = sensor_readings()
    shuffled = readings.take(np.random.default_rng(0).permutation(readings.num_rows))
    spec = make_spec(tmp_path, forecast_model_dir, shuffled, input_format="csv", rows_per_part=20)
    result = run_inference(spec, RecordedEvents())

    output = read_output(spec.output_path, "parquet").to_pylist()
    assert result["rows"] == 3 and [row["sensor"] for row in output] == ["s0", "s1", "s2"]
    assert all(row["origin"].startswith("2026-01-02T23:00:00") for row in output)  # each series' last hour
    expected = simple_predictions(forecast_model_dir, readings)
    for row, prediction in zip(output, expected):
        assert len(row["value"]) == 3 and row["value"] == row["q_0.5"]  # the horizon; the median is the value
        assert all(low <= middle <= high for low, middle, high in zip(row["q_0.1"], row["q_0.5"], row["q_0.9"]))
        np.testing.assert_allclose(row["value"], prediction["value"], rtol=1e-4)
