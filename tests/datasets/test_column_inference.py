"""Column types, roles and targets inferred from the profile an import stores.

Every profile here is made the way an import makes it: the table is read by the import's
reader (from CSV bytes, as an upload is) and profiled by the import's profiler.
"""
import ast
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from sklearn import datasets as sklearn_datasets

from indus.datasets.column_inference import (
    MAX_CLASSES,
    MOSTLY_MISSING_SHARE,
    ProblemKind,
    Role,
    infer_columns,
)
from indus.datasets.profiling import ALL_VALUES_CAP, DISTINCT_CAP, SAMPLE_SIZE, DatasetProfiler
from indus.datasets.readers import iter_record_batches
from indus.plugins.contract import ColumnType


def stored(batches) -> dict:
    """What an import stores of these batches: the schema as `[{name, type}]` and the profile."""
    batches = list(batches)
    profiler = DatasetProfiler(batches[0].schema)
    for batch in batches:
        profiler.add(batch)
    columns = [{"name": field.name, "type": str(field.type)} for field in batches[0].schema]
    return {"columns": columns, "profile": profiler.as_dict()}


def uploaded(table: pa.Table) -> dict:
    """`table` written as a CSV file and imported as an upload of it would be."""
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink)
    return stored(iter_record_batches(io.BytesIO(sink.getvalue()), "csv"))


def uploaded_csv(text: str) -> dict:
    return stored(iter_record_batches(io.BytesIO(text.encode()), "csv"))


def infer(version: dict, **kwargs):
    return infer_columns(columns=version["columns"], profile=version["profile"], **kwargs)


ROWS = 60
rng = np.random.default_rng(7)


def mixed_table(rows: int = ROWS) -> pa.Table:
    """One column for each hard case, under headers a user would write."""
    reviews = ["the delivery was late and the box was damaged", "great value, would buy this again soon",
               "it stopped working after two weeks of use", "exactly as described and arrived early"]
    return pa.table({
        "customer_id": list(range(1001, 1001 + rows)),
        " Region Code ": rng.choice([1, 2, 3, 4], rows).tolist(),
        "income": (rng.normal(50_000, 9_000, rows).round(2)).tolist(),
        "children": rng.integers(0, 40, rows).tolist(),
        "price_text": [f"{value:,.2f}" for value in rng.uniform(5, 5_000, rows)][:-1] + ["unknown"],
        "signup": [f"{day:02d}/{month:02d}/20{year:02d}" for day, month, year in
                   zip(rng.integers(1, 29, rows), rng.integers(1, 13, rows), rng.integers(10, 25, rows))],
        "married": rng.choice(["Yes", "No"], rows).tolist(),
        "flag01": rng.choice([0, 1], rows).tolist(),
        "city": rng.choice(["Paris", "Lyon", "Nice", "Lille"], rows).tolist(),
        "review": [reviews[i % 4] + f" (order {i})" for i in range(rows)],
        "country": ["FR"] * rows,
        "fax": [None] * (rows - 3) + ["555-0101", "555-0102", "555-0103"],
        "nothing": pa.array([None] * rows, pa.string()),
    })


@pytest.fixture(scope="module")
def mixed():
    return uploaded(mixed_table())


def test_each_hard_column_gets_its_type_and_a_reason(mixed):
    proposal = infer(mixed)
    types = {column.name: column.type for column in proposal.columns}
    assert types["customer_id"] == ColumnType.IDENTIFIER
    assert types["Region Code"] == ColumnType.CATEGORY  # integer codes
    assert types["income"] == ColumnType.NUMBER
    assert types["children"] == ColumnType.INTEGER  # more distinct values than codes
    assert types["price_text"] == ColumnType.NUMBER  # numeric strings, one "unknown"
    assert types["signup"] == ColumnType.DATETIME  # dates stored as text
    assert types["married"] == ColumnType.BOOLEAN
    assert types["flag01"] == ColumnType.BOOLEAN
    assert types["city"] == ColumnType.CATEGORY
    assert types["review"] == ColumnType.TEXT
    for column in proposal.columns:
        assert column.type_reason and column.role_reason, column
    region = proposal.column("Region Code")
    assert "codes" in region.type_reason and "4 distinct" in region.type_reason
    assert "numbers stored as text" in proposal.column("price_text").type_reason
    assert "such as 'unknown', are taken as missing" in proposal.column("price_text").type_reason
    assert "dates stored as text" in proposal.column("signup").type_reason
    assert "Yes/No" in proposal.column("married").type_reason or "No/Yes" in proposal.column("married").type_reason
    assert "multi-word" in proposal.column("review").type_reason


def test_keys_constants_and_missing_columns_are_left_out_with_their_reason(mixed):
    proposal = infer(mixed)
    roles = {column.name: column.role for column in proposal.columns}
    assert proposal.id_column == "customer_id" and roles["customer_id"] == Role.ID
    assert "reads as an id" in proposal.column("customer_id").type_reason
    assert roles["country"] == Role.LEFT_OUT and "constant" in proposal.column("country").role_reason
    assert "'FR'" in proposal.column("country").role_reason
    fax = proposal.column("fax")
    assert fax.role == Role.LEFT_OUT and "mostly missing" in fax.role_reason and "57 of 60" in fax.role_reason
    assert 57 / 60 >= MOSTLY_MISSING_SHARE
    assert proposal.column("nothing").role_reason == "every value is missing"
    assert set(proposal.inputs) == {
        "Region Code", "income", "children", "price_text", "signup", "married", "flag01", "city", "review",
    }


def test_headers_are_trimmed_and_keep_their_original(mixed):
    proposal = infer(mixed, target="Region Code")
    region = proposal.column("Region Code")
    assert (region.name, region.original_name) == ("Region Code", " Region Code ")
    assert "trimmed to 'Region Code'" in region.name_reason
    assert proposal.target.column == "Region Code" and not proposal.refusals
    assert proposal.column("income").name_reason == ""


def test_a_trimmed_header_that_is_another_columns_name_is_kept_as_stored():
    proposal = infer(uploaded_csv("a,a ,b\n1,2,x\n3,4,y\n"))
    assert [column.name for column in proposal.columns] == ["a", "a ", "b"]
    assert "another column's name" in proposal.column("a ").name_reason


def test_integer_codes_as_a_target_are_classes_in_numeric_order():
    codes = rng.choice([10, 2, 1], ROWS).tolist()
    proposal = infer(uploaded(pa.table({"segment": codes, "x": rng.normal(size=ROWS).tolist()})), target="segment")
    assert proposal.target.kind == ProblemKind.CLASSES
    assert proposal.target.labels == (1, 2, 10) and proposal.target.labels_reason == "in numeric order"
    assert proposal.column("segment").role == Role.TARGET and proposal.inputs == ("x",)


def test_many_whole_numbers_as_a_target_are_a_regression():
    values = rng.integers(0, 300, 400).tolist()
    proposal = infer(uploaded(pa.table({"minutes late": values})), target="minutes late")
    assert proposal.target.kind == ProblemKind.REGRESSION and proposal.target.labels is None
    assert "regression" in proposal.target.kind_reason


def test_yes_no_target_is_binary_with_yes_positive():
    answers = ["No"] * 40 + ["Yes"] * 20
    proposal = infer(uploaded(pa.table({"Churned": answers, "tenure": list(range(60))})), target="churned")
    target = proposal.target
    assert (target.column, target.kind) == ("Churned", ProblemKind.BINARY)
    assert target.labels == ("No", "Yes")  # the profile's order: most common first
    assert target.positive_label == "Yes" and "affirmative" in target.positive_reason


def test_zero_one_target_is_binary_with_one_positive_even_when_one_is_common():
    flags = [1] * 45 + [0] * 15
    target = infer(uploaded(pa.table({"default": flags})), target="default").target
    assert target.kind == ProblemKind.BINARY and target.labels == (0, 1)
    assert target.positive_label == 1 and "affirmative" in target.positive_reason


def test_a_binary_target_without_a_yes_no_pair_takes_the_rarer_label():
    labels = ["legit"] * 50 + ["fraud"] * 10
    target = infer(uploaded(pa.table({"outcome": labels})), target="outcome").target
    assert target.positive_label == "fraud" and "rarer" in target.positive_reason and "10 of 60" in target.positive_reason


def test_a_300_class_target_is_refused_with_the_limit():
    labels = [f"product {i % 300}" for i in range(900)]
    proposal = infer(uploaded(pa.table({"item": labels})), target="item")
    assert proposal.target is None
    [refusal] = proposal.refusals
    assert refusal.column == "item"
    assert "300 distinct values" in refusal.message and f"{MAX_CLASSES} classes" in refusal.message


def test_a_one_class_target_and_a_constant_target_are_refused():
    # a second column, since a CSV line with one empty field is an empty line, which is skipped
    answers = {"approved": ["Yes"] * 30 + [None] * 10, "amount": list(range(40))}
    one_class = infer(uploaded(pa.table(answers)), target="approved")
    assert one_class.target is None and "one class" in one_class.refusals[0].message
    assert "'Yes'" in one_class.refusals[0].message
    constant = infer(uploaded(pa.table({"approved": ["Yes"] * 40})), target="approved")
    assert constant.target is None and "constant" in constant.refusals[0].message


def test_a_target_that_is_not_there_or_also_an_input_is_refused(mixed):
    missing = infer(mixed, target="incom")
    assert missing.target is None and missing.refusals[0].message == "no column named 'incom'; did you mean 'income'?"
    both = infer(mixed, target="city", inputs=["income", "city"])
    assert any(r.column == "city" and "both the target and an input" in r.message for r in both.refusals)
    unknown_input = infer(mixed, target="city", inputs=["incomes"])
    assert any("no column named 'incomes'" in r.message for r in unknown_input.refusals)


def test_named_inputs_are_the_only_inputs(mixed):
    proposal = infer(mixed, target="married", inputs=["income", "city"])
    assert proposal.inputs == ("income", "city") and not proposal.refusals
    assert proposal.column("review").role_reason == "not among the inputs named"


def test_strings_that_differ_in_every_row_cannot_be_a_target():
    proposal = infer(uploaded(pa.table({"email": [f"user{i}@example.org" for i in range(40)]})), target="email")
    assert proposal.target is None and "different value in every row" in proposal.refusals[0].message


def test_a_key_is_found_past_the_distinct_cap_and_repeats_are_not_a_key():
    rows = DISTINCT_CAP + 5_000
    table = pa.table({
        "ticket": [f"T{i:07d}" for i in range(rows)],
        "account_id": [i // 2 for i in range(rows)],  # an account's two rows
        "amount": [i // 2 for i in range(rows)],
    })
    batches = table.to_batches(max_chunksize=4_096)  # several batches after the cap, as a long import has
    proposal = infer(stored(batches))
    ticket = proposal.column("ticket")
    assert ticket.type == ColumnType.IDENTIFIER and "no repeat seen" in ticket.type_reason
    assert proposal.column("account_id").type == ColumnType.IDENTIFIER
    assert "some repeat" in proposal.column("account_id").type_reason
    assert proposal.column("amount").type == ColumnType.INTEGER
    assert proposal.id_column == "ticket"


@pytest.mark.parametrize(("header", "is_key"), [
    ("CustomerID", True), ("user id", True), ("order_uuid", True), ("Key", True),
    ("paid", False), ("valid", False), ("amount", False),
])
def test_distinct_whole_numbers_are_a_key_only_under_a_name_that_reads_as_an_id(header, is_key):
    values = rng.choice(1_000_000, ROWS, replace=False).tolist()  # distinct, with gaps: not a row number
    column = infer(uploaded(pa.table({header: values, "x": list(range(ROWS))}))).column(header)
    assert (column.type == ColumnType.IDENTIFIER) == is_key, column.type_reason


def test_a_date_target_is_refused_and_missing_and_rare_labels_are_noted():
    dates = infer(uploaded_csv("day,sales\n2024-01-05,3\n2024-01-06,4\n2024-01-07,5\n"), target="day")
    assert dates.target is None and "target 'day' holds date32[day] values" in dates.refusals[0].message
    labels = ["low"] * 20 + ["high"] * 15 + ["mid"] + [None] * 4
    target = infer(uploaded(pa.table({"band": labels, "x": list(range(40))})), target="band").target
    assert target.labels == ("low", "high", "mid")
    assert any("4 rows have no 'band'" in note for note in target.notes)
    assert any("'mid' (1 row)" in note for note in target.notes)


def test_short_repeated_strings_are_categories_and_varied_ones_text():
    names = [f"name{i}" for i in range(50)] + ["name1"] * 10
    proposal = infer(uploaded(pa.table({"nickname": names, "tier": ["gold", "silver"] * 30})))
    assert proposal.column("tier").type == ColumnType.CATEGORY
    nickname = proposal.column("nickname")
    assert nickname.type == ColumnType.TEXT and "too varied" in nickname.type_reason


def test_iso_dates_read_as_dates_are_datetimes():
    proposal = infer(uploaded_csv("day,sales\n2024-01-05,3\n2024-01-06,4\n2024-01-07,5\n"))
    assert proposal.column("day").type == ColumnType.DATETIME and proposal.column("day").stored_type == "date32[day]"


def test_an_older_profile_without_the_new_facts_still_gives_a_proposal_with_its_reasons(mixed):
    newer_keys = {"values", "text_shapes", "words", "repeated", "sample", "integral", "distinct_at_least"}
    older = {**mixed["profile"], "columns": [
        {key: value for key, value in column.items() if key not in newer_keys} for column in mixed["profile"]["columns"]
    ]}
    for column in older["columns"]:
        if "length" in column:
            column["length"] = {k: v for k, v in column["length"].items() if k != "max"}
    proposal = infer_columns(columns=mixed["columns"], profile=older, target="Region Code")
    assert proposal.column("price_text").type == ColumnType.NUMBER
    assert "older import" in proposal.column("price_text").type_reason
    assert proposal.column("signup").type == ColumnType.DATETIME
    assert proposal.column("review").type == ColumnType.TEXT and "older import" in proposal.column("review").type_reason
    assert proposal.column("customer_id").type == ColumnType.IDENTIFIER
    assert proposal.target.labels == (1, 2, 3, 4)  # 4 values: the top values are all of them
    many = uploaded(pa.table({"grade": [f"g{i % 30}" for i in range(120)]}))
    many_older = {**many["profile"], "columns": [{k: v for k, v in many["profile"]["columns"][0].items() if k != "values"}]}
    target = infer_columns(columns=many["columns"], profile=many_older, target="grade").target
    assert target.kind == ProblemKind.CLASSES and target.labels is None and "older import" in target.labels_reason


def test_a_profile_with_no_entry_for_a_column_still_types_it():
    proposal = infer_columns(columns=[{"name": "x", "type": "int64"}, {"name": "m", "type": "map<string, int64>"}],
                             profile={"row_count": 3, "columns": []}, target="x")
    assert proposal.column("x").type == ColumnType.INTEGER and "nothing on this column" in proposal.column("x").type_reason
    assert proposal.column("m").type is None and proposal.column("m").role == Role.LEFT_OUT
    assert proposal.target is None and "the stored profile has nothing on this column" in proposal.refusals[0].message


def test_inference_imports_no_django():
    """The control plane's web requests and the CLI can both infer: a fresh interpreter loads
    no Django, Celery or torch for it."""
    code = "import sys, indus.datasets.column_inference; print(sorted({m.split('.')[0] for m in sys.modules}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2], env={**os.environ, "PYTHONPATH": "platform"})
    loaded = set(ast.literal_eval(result.stdout))
    assert "indus" in loaded and not loaded & {"django", "celery", "torch", "rest_framework"}


# --- What the profiler keeps for these rules, bounded ---------------------------------------------

def test_the_profile_keeps_every_value_only_for_few_values_and_a_small_sample():
    rows = 30_000
    version = stored(pa.table({"few": [f"c{i % 5}" for i in range(rows)],
                               "many": [f"c{i % (ALL_VALUES_CAP + 1)}" for i in range(rows)],
                               "n": list(range(rows))}).to_batches(max_chunksize=1_000))
    few, many, numbers = version["profile"]["columns"]
    assert sorted(entry["value"] for entry in few["values"]) == [f"c{i}" for i in range(5)]
    assert "values" not in many and len(many["top_values"]) == 10
    assert len(numbers["sample"]) == SAMPLE_SIZE and max(numbers["sample"]) > 1_000  # drawn from the whole stream
    assert stored(pa.table({"n": list(range(rows))}).to_batches(max_chunksize=1_000))["profile"]["columns"][0][
        "sample"] == numbers["sample"]  # the same data gives the same profile
    assert numbers["distinct"] is None and numbers["distinct_at_least"] > DISTINCT_CAP and numbers["repeated"] is False


# --- Real public tables that ship inside scikit-learn, under their own column names ----------------

def sklearn_table(loaded, target_name: str, *, target_labels=None) -> pa.Table:
    columns = {name: loaded.data[:, position] for position, name in enumerate(loaded.feature_names)}
    target = loaded.target if target_labels is None else np.asarray(target_labels)[loaded.target]
    return pa.table({**columns, target_name: target})


def test_breast_cancer_is_binary_with_its_rarer_diagnosis_positive():
    loaded = sklearn_datasets.load_breast_cancer()
    version = uploaded(sklearn_table(loaded, "diagnosis", target_labels=loaded.target_names))
    proposal = infer(version, target="diagnosis")
    target = proposal.target
    assert target.kind == ProblemKind.BINARY and set(target.labels) == {"malignant", "benign"}
    assert target.positive_label == "malignant" and "212 of 569" in target.positive_reason
    assert set(proposal.inputs) == set(loaded.feature_names)
    assert proposal.column("mean radius").type == ColumnType.NUMBER


def test_wine_is_three_classes_and_its_whole_number_measures_are_integers():
    loaded = sklearn_datasets.load_wine()
    proposal = infer(uploaded(sklearn_table(loaded, "cultivar")), target="cultivar")
    assert proposal.target.kind == ProblemKind.CLASSES and proposal.target.labels == (0, 1, 2)
    types = {column.name: column.type for column in proposal.columns if column.role == Role.INPUT}
    assert types["magnesium"] == types["proline"] == ColumnType.INTEGER
    assert types["alcohol"] == types["od280/od315_of_diluted_wines"] == ColumnType.NUMBER
    assert len(types) == len(loaded.feature_names)


def test_diabetes_is_a_regression_and_its_sex_codes_a_category():
    loaded = sklearn_datasets.load_diabetes(scaled=False)
    proposal = infer(uploaded(sklearn_table(loaded, "progression")), target="progression")
    assert proposal.target.kind == ProblemKind.REGRESSION and proposal.target.labels is None
    assert proposal.column("sex").type == ColumnType.CATEGORY  # 1 and 2: codes, not a yes/no pair
    assert proposal.column("age").type == ColumnType.INTEGER
    assert proposal.column("bmi").type == ColumnType.NUMBER


def test_iris_species_are_three_classes_in_the_profiles_order():
    loaded = sklearn_datasets.load_iris()
    proposal = infer(uploaded(sklearn_table(loaded, "species", target_labels=loaded.target_names)), target="species")
    assert proposal.target.kind == ProblemKind.CLASSES
    assert set(proposal.target.labels) == set(loaded.target_names) and len(proposal.target.labels) == 3
    assert proposal.inputs == tuple(loaded.feature_names)  # "sepal length (cm)": spaces inside stay


@pytest.mark.django_db
def test_a_stored_version_is_inferred_from_its_columns_and_profile_as_the_database_gives_them_back(stored_version):
    version = stored_version(mixed_table())
    version.refresh_from_db()  # the profile as JSON gives it back
    proposal = infer_columns(columns=version.columns, profile=version.profile, target="married")
    assert proposal.target.positive_label == "Yes" and proposal.id_column == "customer_id"
    assert proposal.column("Region Code").type == ColumnType.CATEGORY
    assert proposal.column("price_text").type == ColumnType.NUMBER
