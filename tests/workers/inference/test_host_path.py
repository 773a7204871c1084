"""The host side of batch inference: token ids from the fast tokenizer's batch call, batches
gathered from arrays, output parts written from the heads' columns, and the batch prefetch
thread. Each is checked against the row-by-row path it replaces."""
import threading

import numpy as np
import pyarrow as pa
import pytest
import torch
from tokenizers.processors import TemplateProcessing

from indus_workers.devices import choose_device
from indus_workers.inference import ModelCache, run_inference
from indus_workers.inference.outputs import chunk_output_table, columns_output_table, prediction_columns
from indus_workers.inference.predictor import BatchPredictor, InferenceStopped
from indus_workers.inference.source import InputSource
from indus_workers.model import load_model
from tests.workers.inference.conftest import RecordedEvents, applications, make_spec, read_output, reviews


def never() -> bool:
    return False


def predictor_for(model, *, batch_size=8, should_stop=never) -> BatchPredictor:
    return BatchPredictor(model, choose_device("cpu"), batch_size=batch_size, should_stop=should_stop)


def prefetch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "inference-prefetch"]


def test_token_ids_are_the_tokenizers_own_and_batches_equal_the_row_path(text_model_dir):
    model = load_model(text_model_dir)
    featurizer = model.featurizer
    table = reviews(40, seed=3, max_filler=60)  # past max_length (32): truncation must match too
    table = table.set_column(1, "review", pa.array([None, "", *table.column("review").to_pylist()[2:]]))
    rows = featurizer.encode_for_inference(table)
    texts = ["" if text is None else text for text in table.column("review").to_pylist()]
    expected = featurizer.tokenizer(texts, truncation=True, max_length=featurizer.max_length)

    whole = rows.collate(np.arange(table.num_rows))
    ids = [row[mask.bool()].tolist() for row, mask in zip(whole["input_ids"], whole["attention_mask"])]
    assert ids == expected["input_ids"]
    assert max(map(len, ids)) == featurizer.max_length  # some texts were truncated
    assert rows.lengths.tolist() == [len(row) for row in expected["input_ids"]]
    examples = featurizer.encode(table, inference=True)
    for positions in ([5, 0, 17], [1], list(range(39, -1, -3))):
        batch = rows.collate(np.array(positions))
        reference = featurizer.collate([examples[position] for position in positions])
        assert batch.keys() == reference.keys() == {"input_ids", "token_type_ids", "attention_mask"}
        for name, tensor in reference.items():
            assert torch.equal(batch[name], tensor), name


def test_type_ids_that_vary_within_a_sequence_are_each_rows_own(text_model_dir):
    """Token type ids are filled in when the tokenizer's template gives every token the same
    one; a template that gives its special tokens another must still be followed row by row."""
    featurizer = load_model(text_model_dir).featurizer
    tokenizer = featurizer.tokenizer
    special = [(token, tokenizer.convert_tokens_to_ids(token)) for token in ("[CLS]", "[SEP]")]
    tokenizer.backend_tokenizer.post_processor = TemplateProcessing(
        single="[CLS]:1 $A:0 [SEP]:1", pair="[CLS]:1 $A:0 [SEP]:1 $B:1 [SEP]:1", special_tokens=special)
    table = reviews(9, seed=4)
    expected = tokenizer(table.column("review").to_pylist(), truncation=True, max_length=featurizer.max_length)
    batch = featurizer.encode_for_inference(table).collate(np.arange(table.num_rows))
    type_ids = [row[mask.bool()].tolist() for row, mask in zip(batch["token_type_ids"], batch["attention_mask"])]
    assert type_ids == expected["token_type_ids"]
    assert {row[0] for row in type_ids} == {1} and {row[1] for row in type_ids} == {0}


def test_left_padding_gathers_like_the_tokenizer_pads(text_model_dir):
    model = load_model(text_model_dir)
    featurizer = model.featurizer
    featurizer.tokenizer.padding_side = "left"
    table = reviews(12, seed=8)
    positions = np.array([3, 11, 0, 7])
    batch = featurizer.encode_for_inference(table).collate(positions)
    examples = featurizer.encode(table, inference=True)
    reference = featurizer.collate([examples[position] for position in positions])
    assert all(torch.equal(batch[name], reference[name]) for name in reference)
    assert batch["attention_mask"][:, -1].tolist() == [1, 1, 1, 1]  # padding comes first


@pytest.mark.parametrize("model_fixture, table", [
    ("text_model_dir", reviews(70, seed=6)),
    ("tabular_model_dir", applications(50, seed=6)),
    # A head with no `decode_columns` of its own (the classification head's would not do): decoded per row.
    ("ranking_model_dir", pa.table({"customer": ["ann", "bob", "cy", "dee"] * 5, "basket_size": [1.0, 5.0, 2.0, 4.0] * 5})),
])
def test_predicted_columns_equal_the_row_by_row_columns(request, model_fixture, table):
    model = load_model(request.getfixturevalue(model_fixture))
    predictor = predictor_for(model)
    columns = predictor.predict_columns(model.featurizer.encode_for_inference(table))
    expected = prediction_columns(predictor.predict(model.featurize(table, inference=True)))
    assert list(columns) == list(expected)
    for name, values in expected.items():
        assert columns[name].equals(values), name


def row_by_row_output(spec, model_dir) -> pa.Table:
    """The output as the row path builds it: per-row predictions and dicts, over the whole file."""
    model = load_model(model_dir)
    source = InputSource(spec.input_path, spec.input_format, list(model.task.model_columns), spec.id_column)
    predictor = predictor_for(model, batch_size=spec.batch_size)
    tables = []
    for chunk in source.chunks(chunk_rows=spec.rows_per_part, part_rows=spec.rows_per_part):
        predictions = predictor.predict(model.featurize(chunk.good_table(), inference=True))
        tables.append(chunk_output_table(chunk, chunk.good_positions(), predictions, id_column=spec.id_column,
                                         mark_errors=spec.on_bad_rows == "mark"))
    return pa.concat_tables(tables, promote_options="permissive")


def test_output_parts_written_from_columns_equal_the_row_by_row_output(tmp_path, text_model_dir):
    path = tmp_path / "reviews.jsonl"
    good = reviews(90, seed=9).select(["review_id", "review"]).to_pylist()
    lines = [f'{{"review_id": "{row["review_id"]}", "review": "{row["review"]}"}}' for row in good]
    for position in (0, 41, 42, 89):
        lines[position] = '{"review_id": "broken", "review": '  # a line that does not parse
    path.write_text("\n".join(lines) + "\n")
    spec = make_spec(tmp_path, text_model_dir, pa.table({"x": [1]}), input_path=str(path), input_format="jsonl",
                     id_column=None, on_bad_rows="mark", batch_size=8, rows_per_part=40)
    result = run_inference(spec, RecordedEvents(), cache=ModelCache())

    output = read_output(spec.output_path, "parquet")
    assert result["parts"] == 3 and result["bad_rows"] == 4
    expected = row_by_row_output(spec, text_model_dir)
    assert output.column_names == expected.column_names == ["row", "label", "score", "p_negative", "p_positive", "error"]
    assert output.to_pylist() == expected.to_pylist()
    assert [row["label"] is None for row in output.to_pylist()] == [index in (0, 41, 42, 89) for index in range(90)]


def test_a_chunk_of_bad_rows_only_keeps_every_row_with_its_error(tmp_path, tabular_model_dir):
    source = InputSource(make_spec(tmp_path, tabular_model_dir, applications(3)).input_path, "parquet",
                         list(load_model(tabular_model_dir).task.model_columns), None)
    chunk = next(source.chunks(chunk_rows=10, part_rows=10))
    chunk.errors.update({0: "bad", 1: "worse", 2: "worst"})
    table = columns_output_table(chunk, {}, id_column=None, mark_errors=True)
    assert table.to_pylist() == [{"row": 0, "error": "bad"}, {"row": 1, "error": "worse"}, {"row": 2, "error": "worst"}]


def test_batch_prefetch_ends_when_computing_fails(text_model_dir):
    model = load_model(text_model_dir)
    rows = model.featurizer.encode_for_inference(reviews(200, seed=2))
    predictor = predictor_for(model, batch_size=4)
    computed = []

    def fail_on_the_third(batch):
        computed.append(len(batch["input_ids"]))
        if len(computed) == 3:
            raise ValueError("the device went away")
        return model.inference_outputs(batch)

    with pytest.raises(ValueError, match="the device went away"):
        list(predictor.map_rows(rows, fail_on_the_third))
    assert len(computed) == 3 and not prefetch_threads()


def test_batch_prefetch_ends_when_the_job_is_stopped(text_model_dir):
    model = load_model(text_model_dir)
    rows = model.featurizer.encode_for_inference(reviews(200, seed=2))
    asked = []

    def stop_on_the_fifth_ask() -> bool:
        asked.append(True)
        return len(asked) >= 5

    predictor = predictor_for(model, batch_size=4, should_stop=stop_on_the_fifth_ask)
    with pytest.raises(InferenceStopped):
        predictor.predict_columns(rows)
    assert len(asked) == 5 and not prefetch_threads()


def test_a_failing_collate_is_raised_in_the_job_and_ends_the_thread(text_model_dir):
    model = load_model(text_model_dir)
    rows = model.featurizer.encode_for_inference(reviews(100, seed=2))
    collate = rows.collate
    collated = []

    def collate_then_fail(positions, **options):
        collated.append(len(positions))
        if len(collated) == 4:
            raise MemoryError("no host memory for the batch")
        return collate(positions, **options)

    rows.collate = collate_then_fail
    with pytest.raises(MemoryError, match="no host memory"):
        predictor_for(model, batch_size=4).predict_columns(rows)
    assert not prefetch_threads()
