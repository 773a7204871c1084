"""Explanations with captum, for the rows asked for or the top-scoring ones."""
import math

import pyarrow as pa
import pytest

from indus_workers.inference import run_inference
from indus_workers.inference.explain.text import WordMerger
from indus_workers.model import load_model
from tests.workers.inference.conftest import NEGATIVE_WORDS, RecordedEvents, applications, logs, make_spec, read_output

TABULAR_FEATURES = {"income", "age", "region", "is_member"}


def test_text_explanations_name_the_words_that_decided(tmp_path, text_model_dir):
    table = pa.table({"review": ["the item arrived today and it was excellent", "it was really awful", "quite lovely"]})
    spec = make_spec(tmp_path, text_model_dir, table, explain={"rows": [1, 0]})
    result = run_inference(spec, RecordedEvents())

    explanations = result["explanations"]
    assert [explanation["row"] for explanation in explanations] == [1, 0]  # in the order asked for
    output = read_output(spec.output_path, "parquet")
    for explanation in explanations:
        row = explanation["row"]
        label = output.column("label")[row].as_py()
        assert explanation["explained"] == f"log-odds of {label!r}"
        probability = output.column(f"p_{label}")[row].as_py()
        assert explanation["output"] == pytest.approx(math.log(probability / (1 - probability)), rel=1e-3)
        words = [token["token"] for token in explanation["tokens"]]
        assert all(not word.startswith("##") and word for word in words)
        assert sorted(words) == sorted(table.column("review")[row].as_py().split())  # short texts: every word
        # Integrated gradients' completeness: the words account for the change from the baseline,
        # to within the tolerance the integration ran until.
        change = explanation["output"] - explanation["baseline_output"]
        total = sum(token["attribution"] for token in explanation["tokens"])
        assert total == pytest.approx(change, abs=0.01 + 0.05 * abs(change))
        assert abs(explanation["convergence_delta"]) <= 0.01 + 0.05 * abs(change)
    negative = explanations[0]
    assert negative["tokens"][0]["token"] in NEGATIVE_WORDS and negative["tokens"][0]["attribution"] > 1.0


def test_word_pieces_are_merged_into_words(text_model_dir):
    tokenizer = load_model(text_model_dir).featurizer.tokenizer
    ids = tokenizer("unbelievably good")["input_ids"]
    pieces = tokenizer.convert_ids_to_tokens(ids)
    assert any(piece.startswith("##") for piece in pieces)  # the test needs a split word
    words = WordMerger(tokenizer).words(ids, [1.0] * len(ids))
    assert words == [{"token": "unbelievably", "attribution": float(len(pieces) - 3)}, {"token": "good", "attribution": 1.0}]


def test_tabular_reason_codes_for_the_top_scoring_rows(tmp_path, tabular_model_dir):
    table = applications(120, seed=13).drop_columns(["credit_limit"])
    spec = make_spec(tmp_path, tabular_model_dir, table, id_column="applicant", explain={"top": 3}, rows_per_part=50)
    result = run_inference(spec, RecordedEvents())

    values = read_output(spec.output_path, "parquet").column("value").to_pylist()
    top_rows = sorted(range(len(values)), key=lambda row: values[row], reverse=True)[:3]
    explanations = result["explanations"]
    assert [explanation["row"] for explanation in explanations] == top_rows
    for explanation in explanations:
        assert explanation["id"] == table.column("applicant")[explanation["row"]].as_py()
        assert explanation["explained"] == "predicted value"
        assert explanation["output"] == pytest.approx(values[explanation["row"]], rel=1e-4)
        features = explanation["features"]
        assert {feature["feature"] for feature in features} == TABULAR_FEATURES
        contributions = [feature["contribution"] for feature in features]
        assert contributions == sorted(contributions, reverse=True)
        assert explanation["reason_codes"] == [feature["feature"] for feature in features if feature["contribution"] > 0][:4]
        income = next(feature for feature in features if feature["feature"] == "income")
        assert income["value"] == pytest.approx(table.column("income")[explanation["row"]].as_py())
    # The highest limits go to high incomes: income is the first reason for every one of them.
    assert all(explanation["reason_codes"][0] == "income" for explanation in explanations)


def test_rows_not_in_the_input_are_left_out_and_said_so(tmp_path, tabular_model_dir):
    events = RecordedEvents()
    spec = make_spec(tmp_path, tabular_model_dir, applications(10).drop_columns(["credit_limit"]), explain={"rows": [3, 99]})
    result = run_inference(spec, events)
    assert [explanation["row"] for explanation in result["explanations"]] == [3]
    assert "not in the input" in logs(events)


def test_token_tagging_has_no_row_explanation(tmp_path, tagging_model_dir):
    events = RecordedEvents()
    spec = make_spec(tmp_path, tagging_model_dir, pa.table({"words": [["Take", "ibuprofen"]]}), explain={"rows": [0]})
    assert run_inference(spec, events)["explanations"] == []
    assert "no row-level explanation" in logs(events)
