"""Scoring a saved model on labelled rows: the metrics must be those of the model's own
predictions (as `predict_rows` makes them), over every row with a target, whatever the batching."""
import json

import numpy as np
import pyarrow as pa
import pytest

from indus.plugins.contract import JobInputError
from indus_workers.inference import ModelCache
from indus_workers.inference.evaluate import (
    EvaluationSpec,
    evaluate_model,
    evaluate_rows,
    evaluation_result,
)
from indus_workers.model import load_model
from tests.workers.inference.conftest import RecordedEvents, applications, reviews, sensor_readings, write_input


def simple_predictions(model_dir, table: pa.Table) -> list[dict]:
    model = load_model(model_dir)
    return model.predict_rows(model.featurize(table, inference=True))


def scored(tmp_path, model_dir, table: pa.Table, *, input_format="parquet", batch_size=16, events=None) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_input(table, tmp_path / f"labelled.{input_format}", input_format)
    spec = EvaluationSpec(model_dir=model_dir, input_path=path, input_format=input_format, batch_size=batch_size)
    return evaluate_model(spec, events or RecordedEvents(), cache=ModelCache())


def test_class_metrics_are_those_of_the_models_own_predictions(tmp_path, text_model_dir):
    table = reviews(300, seed=11)
    # A row without a target is read but not scored.
    table = table.set_column(2, "sentiment", pa.array(table.column("sentiment").to_pylist()[:-1] + [None]))
    events = RecordedEvents()
    result = scored(tmp_path, text_model_dir, table, input_format="csv", events=events)

    predicted = [row["label"] for row in simple_predictions(text_model_dir, table)][:-1]
    truth = table.column("sentiment").to_pylist()[:-1]
    assert (result["rows"], result["rows_read"], result["rows_without_target"]) == (299, 300, 1)
    assert result["metrics"]["accuracy"] == pytest.approx(np.mean([p == t for p, t in zip(predicted, truth)]))
    confusion = result["reports"]["confusion_matrix"]
    assert confusion["labels"] == ["negative", "positive"]
    assert confusion["matrix"][1][0] == sum(t == "positive" and p == "negative" for p, t in zip(predicted, truth))
    assert sum(map(sum, confusion["matrix"])) == 299
    assert set(result["reports"]["per_class"]) == {"negative", "positive"}
    assert result["reports"]["baseline"]["strategy"] == "majority_class"
    assert ("metric", "accuracy", 0, result["metrics"]["accuracy"]) in events.events
    assert [event[1] for event in events.of("progress")][-1] == 1.0
    json.dumps(result)  # the platform stores it as the job's result


def test_the_batch_size_does_not_change_the_scores(tmp_path, text_model_dir):
    table = reviews(120, seed=12, max_filler=20)
    small = scored(tmp_path / "small", text_model_dir, table, batch_size=3)
    large = scored(tmp_path / "large", text_model_dir, table, batch_size=128)
    assert small["reports"]["confusion_matrix"] == large["reports"]["confusion_matrix"]
    assert small["metrics"]["roc_auc"] == pytest.approx(large["metrics"]["roc_auc"], abs=1e-6)


def test_regression_errors_are_measured_in_the_targets_unit(tmp_path, tabular_model_dir):
    table = applications(200, seed=13)
    result = scored(tmp_path, tabular_model_dir, table)
    values = np.array([row["value"] for row in simple_predictions(tabular_model_dir, table)])
    truth = table.column("credit_limit").to_numpy()
    assert result["metrics"]["mae"] == pytest.approx(np.mean(np.abs(values - truth)), rel=1e-4)
    assert result["reports"]["summary"]["rows"] == 200


def test_token_tags_are_scored_per_word(tmp_path, tagging_model_dir):
    table = pa.table({
        "words": [["Take", "ibuprofen", "daily"], ["Rest"], ["Take", "vitamin", "d"]] * 5,
        "tags": [["O", "B-DRUG", "O"], ["O"], ["O", "B-DRUG", "I-DRUG"]] * 5,
    })
    result = scored(tmp_path, tagging_model_dir, table, batch_size=4)
    predicted = [row["tags"] for row in simple_predictions(tagging_model_dir, table)]
    truth = table.column("tags").to_pylist()
    matching = sum(p == t for sentence, true in zip(predicted, truth) for p, t in zip(sentence, true))
    assert result["metrics"]["token_accuracy"] == pytest.approx(matching / 35)
    assert result["rows"] == 15


def test_a_forecast_is_scored_on_every_window_of_the_series(tmp_path, forecast_model_dir):
    result = scored(tmp_path, forecast_model_dir, sensor_readings(60))
    assert result["rows"] > 3 and result["rows_without_target"] is None
    assert {"mae", "pinball_loss", "coverage"} <= set(result["metrics"])
    assert len(result["reports"]["horizon"]) == 3


def test_a_missing_target_column_is_named(tmp_path, text_model_dir):
    with pytest.raises(JobInputError, match="no column 'sentiment'"):
        scored(tmp_path, text_model_dir, reviews(10).drop_columns(["sentiment"]))


def test_a_class_the_model_does_not_know_is_named(tmp_path, text_model_dir):
    table = reviews(10)
    table = table.set_column(2, "sentiment", pa.array(["positive"] * 9 + ["mixed"]))
    with pytest.raises(JobInputError, match=r"column 'sentiment' \(the target\): .*'mixed'"):
        scored(tmp_path, text_model_dir, table)


def test_a_row_that_cannot_be_read_fails_the_evaluation_naming_it(tmp_path, tabular_model_dir):
    table = applications(20).set_column(1, "income", pa.array(["52000"] * 7 + ["lots"] + ["48000"] * 12))
    with pytest.raises(JobInputError, match=r"row 7: column 'income': 'lots' is not a number"):
        scored(tmp_path, tabular_model_dir, table)


def test_a_target_column_without_values_has_nothing_to_score(tmp_path, text_model_dir):
    table = reviews(10).set_column(2, "sentiment", pa.nulls(10, pa.string()))
    with pytest.raises(JobInputError, match="has no values"):
        scored(tmp_path, text_model_dir, table)


# --- an evaluation split by rows ---------------------------------------------------------------

def scored_in_parts(tmp_path, model_dir, table: pa.Table, bounds: list[int], *, batch_size=64) -> tuple[list[dict], dict]:
    """Each part's outcome (`evaluate_rows` over consecutive row ranges, through JSON as a part
    sends it back) and the job's result made from them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_input(table, tmp_path / "labelled.parquet", "parquet")
    spec = EvaluationSpec(model_dir=model_dir, input_path=path, batch_size=batch_size)
    parts = [
        json.loads(json.dumps(evaluate_rows(spec, RecordedEvents(), first_row=first, end_row=end, cache=ModelCache())))
        for first, end in zip(bounds, bounds[1:])
    ]
    return parts, evaluation_result(load_model(model_dir).task, parts)


def test_an_evaluation_split_into_row_ranges_scores_as_the_whole_file(tmp_path, text_model_dir):
    table = reviews(240, seed=14)
    table = table.set_column(2, "sentiment", pa.array(table.column("sentiment").to_pylist()[:-1] + [None]))
    parts, result = scored_in_parts(tmp_path / "parts", text_model_dir, table, [0, 70, 71, 180, 240])
    whole = scored(tmp_path / "whole", text_model_dir, table, batch_size=64)

    assert [part["rows_read"] for part in parts] == [70, 1, 109, 60]
    assert (result["rows"], result["rows_read"], result["rows_without_target"]) == (239, 240, 1)
    assert result["reports"]["confusion_matrix"] == whole["reports"]["confusion_matrix"]
    assert result["reports"]["baseline"] == whole["reports"]["baseline"]
    assert result["metrics"] == pytest.approx(whole["metrics"], abs=1e-6)


def test_row_ranges_across_chunks_cover_every_row_once(tmp_path, tabular_model_dir):
    table = applications(8400, seed=15)  # past one chunk of rows, so a range spans two
    parts, result = scored_in_parts(tmp_path, tabular_model_dir, table, [0, 3000, 8300, 8400], batch_size=512)
    values = np.array([row["value"] for row in simple_predictions(tabular_model_dir, table)])
    truth = table.column("credit_limit").to_numpy()
    assert [part["rows"] for part in parts] == [3000, 5300, 100]
    assert result["reports"]["summary"]["rows"] == 8400
    assert result["metrics"]["mae"] == pytest.approx(np.mean(np.abs(values - truth)), rel=1e-4)


def test_a_bad_row_fails_only_the_part_it_is_in(tmp_path, tabular_model_dir):
    table = applications(20).set_column(1, "income", pa.array(["52000"] * 7 + ["lots"] + ["48000"] * 12))
    path = write_input(table, tmp_path / "labelled.parquet", "parquet")
    spec = EvaluationSpec(model_dir=tabular_model_dir, input_path=path)
    later = evaluate_rows(spec, RecordedEvents(), first_row=10, end_row=20, cache=ModelCache())
    assert (later["rows"], later["rows_read"]) == (10, 10)
    with pytest.raises(JobInputError, match=r"row 7: column 'income': 'lots' is not a number"):
        evaluate_rows(spec, RecordedEvents(), first_row=5, end_row=10, cache=ModelCache())


def test_a_forecast_is_evaluated_in_one_part(tmp_path, forecast_model_dir):
    path = write_input(sensor_readings(60), tmp_path / "labelled.parquet", "parquet")
    with pytest.raises(ValueError, match="cannot be split by rows"):
        evaluate_rows(EvaluationSpec(model_dir=forecast_model_dir, input_path=path), RecordedEvents(), first_row=30)
