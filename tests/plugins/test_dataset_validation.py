"""Dataset validation against a task: every problem names its column."""
import pyarrow as pa
import pytest

from indus.plugins.contract import Column, ColumnType, Modality, Target, TargetKind, Task
from indus.plugins.dataset_validation import ERROR, WARNING, validate_table

LOANS = Task(
    name="bank.loans", title="Loans", description="", modality=Modality.TEXT_TABULAR,
    inputs=(Column("income", ColumnType.NUMBER), Column("purpose", ColumnType.TEXT)),
    target=Target(TargetKind.ORDINAL, "risk", labels=("low", "high"), min_rows_per_class=2),
    head="ordinal", backbone="text_tabular_fusion", metrics=("accuracy",), min_rows=4,
)
ENTITIES = Task(
    name="clinic.entities", title="Entities", description="", modality=Modality.TEXT,
    inputs=(Column("words", ColumnType.TOKENS),),
    target=Target(TargetKind.TOKEN_TAGS, "tags", labels=("O", "B-DRUG", "I-DRUG")),
    head="token_classification", backbone="minilm", metrics=("seqeval_f1",), min_rows=1,
)


def loans(**overrides) -> pa.Table:
    columns = {
        "income": [52000.0, 31000.0, 45000.0, 28000.0],
        "purpose": ["car", "rent", "house", "debt"],
        "risk": ["low", "high", "low", "high"],
    }
    columns.update(overrides)
    return pa.table({k: v for k, v in columns.items() if v is not None})


def messages(task, table, severity=ERROR):
    return [(p.column, p.message) for p in validate_table(task, table) if p.severity == severity]


def test_good_table_has_no_problems():
    assert validate_table(LOANS, loans()) == []


def test_missing_column():
    assert messages(LOANS, loans(purpose=None)) == [
        ("purpose", "column 'purpose' is missing; the task needs it as text")
    ]


def test_wrong_type():
    assert messages(LOANS, loans(income=["a", "b", "c", "d"])) == [
        ("income", "column 'income' must hold numbers, but holds string")
    ]


def test_unknown_label():
    table = pa.concat_tables([loans(), loans(risk=["low", "high", "low", "extreme"])])
    assert messages(LOANS, table) == [
        ("risk", "column 'risk' has labels the task does not know: 'extreme' (1 values); expected one of 'low', 'high'")
    ]


def test_empty_target():
    assert messages(LOANS, loans(risk=pa.array([None] * 4, pa.string()))) == [("risk", "column 'risk' is empty")]


def test_partly_missing_target_is_a_warning():
    table = loans(risk=["low", "high", None, "high"])
    assert messages(LOANS, table, WARNING) == [
        ("risk", "column 'risk' (the target) is missing in 1 rows; they are left out of training")
    ]


def test_too_few_rows_per_class():
    [(column, message)] = messages(LOANS, loans(risk=["low", "high", "high", "high"]))
    assert (column, message) == ("risk", "column 'risk' has too few rows for some classes ('low': 1); each needs at least 2")


def test_too_few_rows():
    table = loans().slice(0, 2)
    assert (None, "the dataset has 2 rows; the task needs at least 4") in messages(LOANS, table)


def test_tags_must_match_words_and_be_known():
    table = pa.table({
        "words": [["take", "aspirin"], ["no", "drug", "here"]],
        "tags": [["O", "B-DRUG"], ["O", "O", "B-DOSE", "O"]],
    })
    problems = messages(ENTITIES, table)
    assert ("tags", "column 'tags' has labels the task does not know: 'B-DOSE' (1 values); "
            "expected one of 'O', 'B-DRUG', 'I-DRUG'") in problems
    assert ("tags", "column 'tags' must have one tag per word of 'words', but 1 rows differ "
            "(first: row 2, 4 tags for 3 words)") in problems


@pytest.mark.parametrize("words", [pa.array(["take aspirin"]), pa.array([[1, 2]])])
def test_words_column_must_be_lists_of_words(words):
    table = pa.table({"words": words, "tags": [["O", "B-DRUG"]]})
    [(column, message)] = messages(ENTITIES, table)
    assert column == "words" and message.startswith("column 'words' must hold lists of words")
