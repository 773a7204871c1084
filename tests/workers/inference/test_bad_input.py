"""Bad input: a clear error before any compute, or with on_bad_rows="mark" an error column and a count."""
import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest

from indus.plugins.contract import JobInputError
from indus_workers.inference import InferenceSpec, ModelCache, run_inference
from tests.workers.inference.conftest import RecordedEvents, applications, make_spec, read_output, reviews


@pytest.fixture
def cache_that_refuses_compute(tabular_model_dir, text_model_dir):
    """A cache whose models fail if asked to predict: errors must come before any compute."""
    cache = ModelCache()

    def refuse(batch):
        raise AssertionError("the model was asked to predict before the input was checked")

    for model_dir in (tabular_model_dir, text_model_dir):
        cache.get(model_dir).raw_outputs = refuse  # every prediction path computes through it
    return cache


def applications_csv(tmp_path, lines: list[str]) -> str:
    path = tmp_path / "applications.csv"
    path.write_text("applicant,income,age,region,is_member\n" + "".join(line + "\n" for line in lines))
    return str(path)


def spec_for_file(tmp_path, model_dir, path, input_format, **overrides) -> InferenceSpec:
    fields = dict(model_dir=model_dir, input_path=str(path), input_format=input_format, output_dir=str(tmp_path / "work"),
                  output_path=str(tmp_path / "out.parquet"), output_format="parquet", id_column="applicant")
    return InferenceSpec(**{**fields, **overrides})


def test_missing_columns_are_all_named(tmp_path, tabular_model_dir, cache_that_refuses_compute):
    table = applications(5).drop_columns(["age", "region"])
    spec = make_spec(tmp_path, tabular_model_dir, table, id_column="applicant")
    with pytest.raises(JobInputError, match=r"no column 'age', 'region'"):
        run_inference(spec, RecordedEvents(), cache=cache_that_refuses_compute)


def test_a_missing_id_column_is_named(tmp_path, tabular_model_dir, cache_that_refuses_compute):
    spec = make_spec(tmp_path, tabular_model_dir, applications(5), id_column="customer_number")
    with pytest.raises(JobInputError, match="'customer_number'"):
        run_inference(spec, RecordedEvents(), cache=cache_that_refuses_compute)


@pytest.mark.parametrize("content, message", [("", "is empty"), ("applicant,income,age,region,is_member\n", "has no rows")])
def test_empty_files_are_refused(tmp_path, tabular_model_dir, cache_that_refuses_compute, content, message):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(JobInputError, match=message):
        run_inference(spec_for_file(tmp_path, tabular_model_dir, path, "csv", on_bad_rows="mark"), RecordedEvents(),
                      cache=cache_that_refuses_compute)


def test_a_column_of_the_wrong_type_is_refused(tmp_path, tabular_model_dir, cache_that_refuses_compute):
    table = applications(5).set_column(1, "income", pa.array([[1.0]] * 5))
    spec = make_spec(tmp_path, tabular_model_dir, table, id_column="applicant", on_bad_rows="mark")
    with pytest.raises(JobInputError, match=r"column 'income' holds list<.*double> values; the model reads it as number"):
        run_inference(spec, RecordedEvents(), cache=cache_that_refuses_compute)


@pytest.mark.parametrize("bad_line, message", [
    ("1003,lots,44,north,true", r"row 3: column 'income': 'lots' is not a number"),
    ("1003,52000,44,north,maybe", r"row 3: column 'is_member': 'maybe' is not true or false"),
    ("1003,52000,44", r"row 3: 3 fields where the header has 5"),
])
def test_failing_on_a_bad_row_names_it_before_any_compute(tmp_path, tabular_model_dir, cache_that_refuses_compute, bad_line, message):
    good = [f"100{index},{40000 + index},{30 + index},south,false" for index in range(3)]
    path = applications_csv(tmp_path, good + [bad_line] + good)
    with pytest.raises(JobInputError, match=message):
        run_inference(spec_for_file(tmp_path, tabular_model_dir, path, "csv"), RecordedEvents(), cache=cache_that_refuses_compute)


def test_marked_bad_rows_keep_their_place_with_an_error_and_no_prediction(tmp_path, tabular_model_dir):
    lines = [
        "1000,40000,30,south,false",
        "1001,lots,31,north,true",  # a word for a number
        '1002,41000,32,"east\nside",false',  # a quoted value over two lines: still one row
        "1003,42000",  # too few fields
        "1004,43000,34,north,maybe",  # not a boolean
        "1005,44000,35,south,true",
    ]
    path = applications_csv(tmp_path, lines)
    result = run_inference(spec_for_file(tmp_path, tabular_model_dir, path, "csv", on_bad_rows="mark"), RecordedEvents())

    output = read_output(tmp_path / "out.parquet", "parquet")
    assert result["bad_rows"] == 3 and result["rows"] == 6
    assert output.column("applicant").to_pylist()[:3] + output.column("applicant").to_pylist()[4:] == ["1000", "1001", "1002", "1004", "1005"]
    errors = output.column("error").to_pylist()
    assert errors[0] is None and errors[2] is None and errors[5] is None
    assert "'lots' is not a number" in errors[1]
    assert errors[3] == "2 fields where the header has 5"
    assert "'maybe' is not true or false" in errors[4]
    values = output.column("value").to_pylist()
    assert [value is None for value in values] == [False, True, False, True, True, False]


def test_marked_jsonl_lines_that_do_not_parse(tmp_path, text_model_dir):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"review": "great"}\n{"review": "awful"\n\n[1, 2]\n{"review": 5}\n{"review": "lovely"}\n')
    spec = spec_for_file(tmp_path, text_model_dir, path, "jsonl", id_column=None, on_bad_rows="mark")
    result = run_inference(spec, RecordedEvents())

    output = read_output(tmp_path / "out.parquet", "parquet").to_pylist()
    assert result["rows"] == 5 and result["bad_rows"] == 2  # the blank line is not a row
    assert [row["row"] for row in output] == [0, 1, 2, 3, 4]
    assert "line 2 is not valid JSON" in output[1]["error"] and output[1]["label"] is None
    assert "line 4 is not a JSON object" in output[2]["error"]
    assert output[3]["error"] is None and output[3]["label"] is not None  # a number reads as the text "5"
    assert output[4]["label"] == "positive"


def test_an_unknown_spec_field_or_format_is_refused():
    with pytest.raises(JobInputError, match="unknown inference spec field"):
        InferenceSpec.from_dict({"model_dir": "m", "colour": "blue"})
    with pytest.raises(JobInputError, match="input_format must be one of"):
        InferenceSpec("m", "in.xls", "xls", "work", "out.parquet", "parquet", None)
    with pytest.raises(JobInputError, match="limited to 1000 rows"):
        InferenceSpec("m", "in.csv", "csv", "work", "out.parquet", "parquet", None, explain={"top": 5000})


def test_the_spec_travels_as_json(tmp_path, text_model_dir):
    spec = make_spec(tmp_path, text_model_dir, reviews(3), explain={"rows": [0, 2]}, int8=True)
    assert InferenceSpec.from_dict(spec.as_dict()) == spec


def test_a_parquet_number_column_holding_text_marks_the_rows_that_are_not_numbers(tmp_path, tabular_model_dir):
    table = applications(4).set_column(1, "income", pa.array(["52000", "n/a", "61000.5", None]))
    pa_parquet.write_table(table, tmp_path / "in.parquet")
    result = run_inference(spec_for_file(tmp_path, tabular_model_dir, tmp_path / "in.parquet", "parquet", on_bad_rows="mark"),
                           RecordedEvents())
    output = read_output(tmp_path / "out.parquet", "parquet")
    assert result["bad_rows"] == 1
    assert [error is not None for error in output.column("error").to_pylist()] == [False, True, False, False]  # missing is allowed
