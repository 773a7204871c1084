"""A version's stored schema and profile say what its data would: the check a web request
makes from them refuses what the check of the values refuses, as far as the profile shows."""
import pyarrow as pa
import pytest

from indus.datasets.profiling import ALL_VALUES_CAP, DatasetProfiler
from indus.plugins.dataset_validation import arrow_type_named, errors, validate_stored, validate_table

from .test_dataset_validation import ENTITIES, LOANS, loans


def stored_facts(table: pa.Table) -> dict:
    """What an import stores about the table: its schema and its profile."""
    profiler = DatasetProfiler(table.schema)
    for batch in table.to_batches():
        profiler.add(batch)
    return {"columns": [{"name": f.name, "type": str(f.type)} for f in table.schema], "profile": profiler.as_dict()}


def error_messages(problems) -> list[str]:
    return [problem.message for problem in errors(problems)]


@pytest.mark.parametrize("table", [
    loans(),
    loans(purpose=None),
    loans(income=["a lot", "little", "some", "none"]),
    loans(purpose=pa.array([None] * 4, pa.string())),
    loans().slice(0, 3),
    loans(risk=["low", "medium", "low", "unknown"]),
    loans(risk=["low", "high", "low", "low"]),
    loans(risk=[1, 0, 1, 0]),
    loans(risk=[True, False, True, False]),
], ids=["fits", "missing column", "wrong type", "empty column", "too few rows", "unknown labels", "scarce class",
        "integer labels", "boolean labels"])
def test_the_stored_check_refuses_what_the_check_of_the_values_refuses(table):
    assert error_messages(validate_stored(LOANS, **stored_facts(table))) == error_messages(validate_table(LOANS, table))


def test_labels_past_the_top_values_are_refused_from_the_profiles_complete_values():
    # Twelve distinct labels: more than the profile's top values, but few and short, so the
    # profile keeps every one of them with its count.
    labels = [f"band-{i}" for i in range(12)]
    distinct = pa.table({"income": [1000.0] * 12, "purpose": ["car"] * 12, "risk": labels})
    assert error_messages(validate_stored(LOANS, **stored_facts(distinct))) == error_messages(
        validate_table(LOANS, distinct))
    assert "labels the task does not know" in " ".join(error_messages(validate_stored(LOANS, **stored_facts(distinct))))


def test_what_the_profile_cannot_show_is_left_to_the_check_of_the_values():
    # More distinct labels than the profile keeps: it cannot list them all.
    labels = [f"band-{i}" for i in range(ALL_VALUES_CAP + 1)]
    distinct = pa.table({"income": [1000.0] * len(labels), "purpose": ["car"] * len(labels), "risk": labels})
    assert "labels the task does not know" in " ".join(error_messages(validate_table(LOANS, distinct)))
    assert error_messages(validate_stored(LOANS, **stored_facts(distinct))) == []
    mismatched = pa.table({"words": [["Took", "aspirin"]], "tags": [["O"]]})
    assert "one tag per word" in " ".join(error_messages(validate_table(ENTITIES, mismatched)))
    assert error_messages(validate_stored(ENTITIES, **stored_facts(mismatched))) == []


@pytest.mark.parametrize("arrow_type", [
    pa.int64(), pa.float64(), pa.bool_(), pa.string(), pa.large_string(), pa.date32(), pa.timestamp("us"),
    pa.timestamp("ns", tz="Europe/Paris"), pa.decimal128(12, 2), pa.list_(pa.string()), pa.large_list(pa.string()),
    pa.list_(pa.list_(pa.int32())),
], ids=str)
def test_a_stored_type_name_is_read_back_as_its_type(arrow_type):
    assert arrow_type_named(str(arrow_type)) == arrow_type


def test_a_type_name_not_recognised_is_left_open():
    assert arrow_type_named(str(pa.struct([("a", pa.int64())]))) is None
