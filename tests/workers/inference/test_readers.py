"""Readers and value checks on their own: blocks, rows that cannot be parsed, values that do not fit."""
import pyarrow as pa
import pytest

from indus.plugins.contract import Column
from indus_workers.devices import choose_device
from indus_workers.inference.conform import conform_table, convert_locating_failures
from indus_workers.inference.predictor import BatchPredictor
from indus_workers.inference.readers import csv as csv_reader
from indus_workers.inference.readers import jsonl as jsonl_reader
from indus_workers.inference.readers import open_reader
from indus_workers.inference.source import InputSource


def rows_and_broken(reader) -> tuple[list[dict], dict[int, str]]:
    rows, broken = [], {}
    for block in reader.blocks():
        broken.update({len(rows) + position: message for position, message in block.broken.items()})
        rows.extend(block.table.to_pylist())
    return rows, broken


def test_csv_rows_with_the_wrong_field_count_keep_their_place_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 64)  # many small blocks
    lines = ["id,text"]
    for index in range(40):
        if index % 7 == 3:
            lines.append(f"{index},broken,extra")
        elif index % 11 == 5:
            lines.append(f'{index},"spans\ntwo lines"')
        else:
            lines.append(f"{index},fine")
    path = tmp_path / "in.csv"
    path.write_text("\n".join(lines) + "\n")

    rows, broken = rows_and_broken(open_reader(str(path), "csv", ["id", "text"]))
    assert len(rows) == 40
    assert sorted(broken) == [index for index in range(40) if index % 7 == 3]
    assert all(message == "3 fields where the header has 2" for message in broken.values())
    assert [row["id"] for index, row in enumerate(rows) if index not in broken] == [str(index) for index in range(40) if index % 7 != 3]
    assert rows[5]["text"] == "spans\ntwo lines"


def test_jsonl_blocks_cut_between_lines_and_bad_lines_keep_their_place(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl_reader, "BLOCK_BYTES", 50)
    lines = [f'{{"id": {index}, "text": "row {index}"}}' if index != 13 else "{oops" for index in range(30)]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines))  # no newline at the end

    rows, broken = rows_and_broken(open_reader(str(path), "jsonl", ["id", "text"]))
    assert [row["id"] for row in rows] == [index if index != 13 else None for index in range(30)]
    assert list(broken) == [13] and "line 14 is not valid JSON" in broken[13]


def test_the_failing_values_of_a_column_are_found_by_halving():
    values = pa.array(["1", "2", "x", "4", None, "6", "seven", "8"])
    converted, failures = convert_locating_failures(values, lambda array: array.cast(pa.float64()))
    assert failures == [2, 6]
    assert converted.to_pylist() == [1.0, 2.0, None, 4.0, None, 6.0, None, 8.0]


def test_columns_are_converted_to_what_the_model_reads():
    table = pa.table({
        "income": ["1200.5", "n/a", None], "when": ["2026-01-01T10:00:00", "yesterday", None],
        "member": ["true", "0", "maybe"], "words": ['["a", "b"]', "c d", "[1, 2]"],
    })
    columns = [Column("income", "number"), Column("when", "datetime"), Column("member", "boolean"),
               Column("words", "tokens"), Column("note", "text", required=False)]
    conformed, errors = conform_table(table, columns)
    assert conformed.column("income").to_pylist() == [1200.5, None, None]
    assert conformed.column("when")[0].as_py() == pytest.approx(1767261600.0)
    assert conformed.column("member").to_pylist() == [True, False, None]
    assert conformed.column("words").to_pylist() == [["a", "b"], ["c", "d"], None]
    assert conformed.column("note").to_pylist() == [None, None, None]  # optional and absent
    assert errors == {1: "column 'income': 'n/a' is not a number", 2: "column 'member': 'maybe' is not true or false"}
    # Row 1's date and row 2's words are bad too; a row reports its first problem.


def test_chunks_never_cross_a_part_boundary(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text\n" + "".join(f"row {index}\n" for index in range(95)))
    source = InputSource(str(path), "csv", [Column("text", "text")], None)
    chunks = [(chunk.first_row, chunk.end_row) for chunk in source.chunks(chunk_rows=15, part_rows=40)]
    assert chunks == [(0, 15), (15, 30), (30, 40), (40, 55), (55, 70), (70, 80), (80, 95)]


def test_batches_keep_to_the_batch_size_and_the_token_budget():
    lengths = [5] * 90 + [60, 80, 120, 200]
    predictor = BatchPredictor(None, choose_device("cpu"), batch_size=32, should_stop=lambda: False)
    batches = predictor.batches([{"length": length} for length in lengths])
    assert sorted(position for batch in batches for position in batch) == list(range(len(lengths)))
    # Short texts fill batches up to the size; the long tail is cut by the budget (2 x 32 x the
    # mean length of 9.7 = 620 padded tokens) instead of padding 60 to 200.
    assert [[lengths[i] for i in batch] for batch in batches] == [[5] * 32, [5] * 32, [5] * 26, [60, 80, 120], [200]]
