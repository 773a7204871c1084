"""Columns of lists of strings (labels, words, tags) in the stored profile and in the column
inference: their items counted as labels, and their lengths compared row by row by digest."""
import pyarrow as pa

from indus.datasets.column_inference import ProblemKind, infer_columns, list_misalignment
from indus.datasets.profiling import ALL_VALUES_CAP

from .test_column_inference import stored

WORDS = [["Ada", "met", "Bob"], ["in", "Oslo"], ["Cy", "left"], None] * 10


def profiled(**columns) -> dict:
    table = pa.table({name: pa.array(values, pa.list_(pa.string())) for name, values in columns.items()})
    return stored(table.to_batches(max_chunksize=7))  # several batches: the digest spans them


def target(store: dict, name: str):
    return infer_columns(columns=store["columns"], profile=store["profile"], target=name)


def test_a_list_target_is_label_lists_with_its_items_most_common_first_and_missing_rows_noted():
    store = profiled(words=WORDS, topics=[["sport"], ["sport", "travel"], [], None] * 10)

    inferred = target(store, "topics").target

    assert inferred.kind == ProblemKind.LABEL_LISTS and inferred.labels == ("sport", "travel")
    assert "2 distinct labels" in inferred.kind_reason and "most common first" in inferred.labels_reason
    assert any("10 rows have no 'topics'" in note for note in inferred.notes)


def test_lists_of_one_label_of_too_many_or_of_an_older_import_are_refused_naming_the_target():
    rows = 2 * (ALL_VALUES_CAP + 5)
    store = profiled(one=[["x"], ["x", "x"]] * (rows // 2), many=[[f"l{index % (ALL_VALUES_CAP + 5)}", "z"] for index in range(rows)])
    older = profiled(topics=[["a"], ["b"]] * 10)
    del older["profile"]["columns"][0]["items"]

    for store_of, name, words in ((store, "one", "only 'x'"), (store, "many", f"more than {ALL_VALUES_CAP}"),
                                  (older, "topics", "import the data again")):
        proposal = target(store_of, name)
        assert proposal.target is None
        assert any(f"{name!r}" in str(refusal) and words in str(refusal) for refusal in proposal.refusals), proposal.refusals


def test_tags_are_aligned_with_words_only_when_every_row_has_as_many():
    tags = [["B-PER", "O", "B-PER"], ["O", "B-LOC"], ["B-PER", "O"], None] * 10
    shifted = [["B-PER", "O"], ["O", "B-LOC", "O"], ["B-PER", "O"], None] * 10  # the same total, row by row wrong
    store = profiled(words=WORDS, tags=tags, shifted=shifted)

    assert list_misalignment(store["profile"], "words", "tags") is None
    problem = list_misalignment(store["profile"], "words", "shifted")
    assert "'shifted'" in problem and "'words'" in problem and "one per word" in problem
