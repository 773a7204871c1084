"""IndusModel end to end: build, train a few steps, save as safetensors + JSON, load, predict."""
import json

import pyarrow as pa
import pytest
import torch

from indus_workers.model import SPEC_FILE, IndusModel, build_model, load_model, save_model
from indus_workers.targets import complete_labels, inverse_frequency_weights
from tests.workers import builders
from tests.workers.builders import make_task

PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt"}

REVIEWS = pa.table({
    "review": ["great phone", "awful battery", "great screen, fast", "awful support", "great value", "awful, broke"] * 2,
    "price": [199.0, 99.0, None, 150.0, 80.0, 60.0] * 2,
    "target": ["positive", "negative", "positive", "negative", "positive", "negative"] * 2,
})
TAGGED = pa.table({
    "words": [["Take", "ibuprofen", "daily"], ["Stop", "paracetamol"], ["Rest"]] * 2,
    "tags": [["O", "B-DRUG", "O"], ["O", "B-DRUG"], ["O"]] * 2,
})
BASKETS = pa.table({
    "customer": ["ann", "bob", "cy", "ann", "bob", "cy"] * 3,
    "basket_size": [1.0, 5.0, 2.0, 1.5, 4.0, 2.5] * 3,
    "target": ["tea", "beer", "milk", "tea", "beer", "milk"] * 3,
})
SENSORS = pa.Table.from_pylist([
    {
        "sensor": sensor, "day": f"2024-02-{day:02d}", "flow": 50.0 + 10 * offset + (day % 7),
        "raining": day % 3 == 0, "road_type": road_type,
    }
    for offset, (sensor, road_type) in enumerate([("a12", "motorway"), ("b7", "arterial")])
    for day in range(1, 29)
])

CASES = {
    "text classification": (
        make_task("classes", labels=("negative", "positive"), inputs={"review": "text"}, modality="text"),
        builders.TEXT_BACKBONE, builders.TINY_TEXT_OPTIONS, builders.CLASSIFICATION_HEAD, REVIEWS,
    ),
    "token tagging": (
        make_task("token_tags", labels=("O", "B-DRUG", "I-DRUG"), inputs={"words": "tokens"}, modality="text", target_column="tags"),
        builders.TEXT_BACKBONE, builders.TINY_TEXT_OPTIONS, builders.TOKEN_HEAD, TAGGED,
    ),
    "tabular ranking": (
        make_task("ranking", inputs={"basket_size": "number"}, group_column="customer", top_k=2),
        builders.TABULAR_BACKBONE, {"hidden_size": 16}, builders.RANKING_HEAD, BASKETS,
    ),
    "forecasting": (
        make_task("forecast", inputs={"raining": "boolean", "road_type": "category"}, target_column="flow", horizon=3, time_column="day", group_column="sensor"),
        builders.TIME_SERIES_BACKBONE, {"hidden_size": 8, "window": 7, "stride": 2}, builders.FORECASTING_HEAD, SENSORS,
    ),
    "text and tabular fusion": (
        make_task("regression", inputs={"review": "text", "price": "number"}, modality="text_tabular", target_column="price_next"),
        builders.FUSION_BACKBONE,
        {"text": builders.TINY_TEXT_OPTIONS, "tabular": {"hidden_size": 8}, "hidden_size": 16},
        builders.REGRESSION_HEAD,
        REVIEWS.append_column("price_next", pa.array([
            (price or 100.0) + (50.0 if sentiment == "positive" else -50.0)  # learnable from text and price
            for price, sentiment in zip(REVIEWS.column("price").to_pylist(), REVIEWS.column("target").to_pylist())
        ])),
    ),
}


def built(case: str):
    task, backbone, options, head, table = CASES[case]
    torch.manual_seed(0)
    model = build_model(task=task, backbone_factory=backbone, head_factory=head, train_table=table, backbone_options=options)
    return model, table


def train_steps(model, examples, steps: int, lr: float = 5e-3) -> tuple[float, float]:
    """The loss on `examples` in eval mode before and after `steps` full-batch Adam steps."""
    batch = model.collate(examples)

    def evaluation_loss() -> float:
        model.eval()
        with torch.no_grad():
            return model(**batch)["loss"].item()

    before = evaluation_loss()
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        optimiser.zero_grad()
        model(**batch)["loss"].backward()
        optimiser.step()
    return before, evaluation_loss()


@pytest.mark.parametrize("case", CASES)
def test_save_and_load_give_identical_outputs_without_pickle(case, tmp_path):
    model, table = built(case)
    train_steps(model, model.featurize(table), steps=2)  # weights that differ from any initialisation
    model.eval()
    model.save(tmp_path)

    loaded = load_model(tmp_path)
    examples = model.featurize(table, inference=True)
    assert loaded.featurize(table, inference=True) == examples  # the featurizer state came back
    with torch.no_grad():
        batch = model.collate(examples)
        torch.testing.assert_close(loaded(**batch)["outputs"], model(**batch)["outputs"], rtol=0, atol=0)
    assert loaded.predict_rows(examples) == model.predict_rows(examples)

    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert not [path for path in written if path.suffix in PICKLE_SUFFIXES]
    assert (tmp_path / "model.safetensors").exists()


@pytest.mark.parametrize("case", ["text classification", "text and tabular fusion"])
def test_a_model_loaded_to_predict_in_bf16_holds_its_transformer_in_bf16_and_answers_as_float32_does(case, tmp_path):
    model, table = built(case)
    train_steps(model, model.featurize(table), steps=2)
    model.eval()
    model.save(tmp_path)

    held = load_model(tmp_path, weights_dtype=torch.bfloat16)
    dtypes = {name: parameter.dtype for name, parameter in held.named_parameters()}
    assert {dtype for name, dtype in dtypes.items() if ".transformer." in name or name.startswith("transformer.")} == {torch.bfloat16}
    assert {dtype for name, dtype in dtypes.items() if name.startswith("head.") or ".tabular." in name} == {torch.float32}
    batch = model.collate(model.featurize(table, inference=True))
    with torch.no_grad():
        expected = model(**batch)["outputs"]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            under_autocast = held(**batch)["outputs"]
        # Without autocast, as an explanation's gradients run: float32 features still reach the head.
        plain = held(**batch)["outputs"]
    for outputs in (under_autocast, plain):
        torch.testing.assert_close(outputs.float(), expected, rtol=0.05, atol=0.05)
    assert not torch.equal(plain, expected)  # computed in bf16 indeed


def test_a_tabular_model_keeps_float32_weights_whatever_it_is_loaded_to_predict_in(tmp_path):
    model, _ = built("tabular ranking")
    model.save(tmp_path)
    held = load_model(tmp_path, weights_dtype=torch.bfloat16)
    assert {tensor.dtype for tensor in [*held.parameters(), *held.buffers()] if tensor.is_floating_point()} == {torch.float32}


@pytest.mark.parametrize("case", CASES)
def test_featurizer_state_is_plain_json(case):
    model, _ = built(case)
    state = model.featurizer.state_dict()
    assert json.loads(json.dumps(state)) == state


def test_the_spec_names_the_factories_and_relative_files(tmp_path):
    model, _ = built("text classification")
    model.save(tmp_path)
    spec = json.loads((tmp_path / SPEC_FILE).read_text())
    assert spec["backbone"]["factory"] == builders.TEXT_BACKBONE
    assert spec["head"]["factory"] == builders.CLASSIFICATION_HEAD
    assert (tmp_path / spec["backbone"]["options"]["tokenizer"] / "tokenizer.json").exists()
    assert "artifact_dir" not in json.dumps(spec)


def test_a_ranking_catalogue_is_discovered_from_the_training_rows():
    model, table = built("tabular ranking")
    assert model.head.labels == sorted(set(table.column("target").to_pylist()))
    task = CASES["tabular ranking"][0]
    assert not task.target.labels  # the plugin's task is left as it was
    assert complete_labels(model.task, table) is model.task  # nothing left to complete


def test_token_predictions_come_back_one_per_word():
    model, table = built("token tagging")
    rows = model.eval().predict_rows(model.featurize(table, inference=True))
    assert [len(row["tags"]) for row in rows] == [len(words) for words in table.column("words").to_pylist()]


@pytest.mark.parametrize("case", ["text classification", "text and tabular fusion", "forecasting"])
def test_the_whole_model_learns(case):
    model, table = built(case)
    before, after = train_steps(model, model.featurize(table), steps=30)
    assert after < 0.5 * before, f"{case}: loss went from {before:.3f} to {after:.3f}"


def test_transformers_trainer_drives_the_model(tmp_path):
    from transformers import Trainer, TrainingArguments

    model, table = built("tabular ranking")
    examples = model.featurize(table)
    arguments = TrainingArguments(
        output_dir=str(tmp_path), max_steps=25, per_device_train_batch_size=6, learning_rate=0.02,
        remove_unused_columns=False, report_to=[], save_strategy="no", logging_strategy="no", use_cpu=True,
    )
    trainer = Trainer(model=model, args=arguments, train_dataset=examples, eval_dataset=examples, data_collator=model.collate)
    assert not trainer.model_accepts_loss_kwargs  # the Trainer scales the loss for accumulation itself
    before = trainer.evaluate()["eval_loss"]
    trainer.train()
    assert trainer.evaluate()["eval_loss"] < 0.5 * before


def test_warm_start_copies_what_matches_and_leaves_a_changed_head_fresh():
    parent, table = built("tabular ranking")
    train_steps(parent, parent.featurize(table), steps=3)
    same, _ = built("tabular ranking")
    assert same.warm_start_from(parent) == len(parent.state_dict())
    examples = same.featurize(table, inference=True)
    assert same.eval().predict_rows(examples) == parent.eval().predict_rows(examples)

    task, backbone, options, head, _ = CASES["tabular ranking"]
    wider_catalogue = pa.concat_tables([table, table.slice(0, 1).set_column(2, "target", pa.array(["coffee"]))])
    child = build_model(task=task, backbone_factory=backbone, head_factory=head, train_table=wider_catalogue, backbone_options=options)
    copied = child.warm_start_from(parent)
    assert 0 < copied < len(parent.state_dict())
    torch.testing.assert_close(child.encoder.mlp[0].weight, parent.encoder.mlp[0].weight)


def test_a_model_assembled_by_hand_records_its_head_and_needs_its_backbone_to_save(tmp_path):
    model, _ = built("tabular ranking")
    by_hand = IndusModel(model.encoder, model.head)
    assert by_hand.head_factory == builders.RANKING_HEAD
    with pytest.raises(ValueError, match="backbone factory"):
        save_model(by_hand, tmp_path)
    save_model(by_hand, tmp_path, backbone_factory=builders.TABULAR_BACKBONE)
    assert load_model(tmp_path).head_factory == builders.RANKING_HEAD


def test_inverse_frequency_weights_give_every_class_the_same_total_weight():
    task = make_task("classes", labels=("fraud", "legit", "review"))
    table = pa.table({"target": ["legit"] * 6 + ["fraud"] * 2 + [None]})
    weights = dict(zip(task.target.labels, inverse_frequency_weights(task, table)))
    assert weights["fraud"] * 2 == pytest.approx(weights["legit"] * 6)
    assert weights["fraud"] * 2 + weights["legit"] * 6 == pytest.approx(8 * 2 / 3)  # rows x present share
    assert weights["review"] == 1.0  # no training row: nothing to re-weigh


@pytest.mark.parametrize("case", CASES)
def test_mixed_precision_gives_a_finite_float32_loss(case):
    # GPUs train under bf16/fp16 autocast; heads compute losses and probabilities in float32.
    model, table = built(case)
    batch = model.collate(model.featurize(table))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        result = model(**batch)
        rows = model.head.decode(model.head.predict(result["outputs"]))
    assert result["loss"].dtype == torch.float32 and torch.isfinite(result["loss"])
    assert len(rows) == len(batch["labels"])
