"""Tiny trained models, saved once per session, and input files in every format."""
import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet
import pytest
import torch

from indus_workers.inference import InferenceSpec
from indus_workers.model import build_model, save_model
from tests.workers import builders
from tests.workers.builders import make_task
from tests.workers.test_model import train_steps
from tests.workers.test_training import RecordedEvents

POSITIVE_WORDS = ["great", "lovely", "perfect", "excellent"]
NEGATIVE_WORDS = ["awful", "broken", "terrible", "refund"]
FILLER = ["the", "item", "arrived", "today", "and", "it", "was", "really", "quite"]
REGIONS = ["north", "south", "east"]


def reviews(rows: int, seed: int = 0, *, max_filler: int = 10) -> pa.Table:
    rng = np.random.default_rng(seed)
    labels = rng.choice(["positive", "negative"], size=rows)
    texts = [
        " ".join(rng.choice(FILLER, size=rng.integers(0, max_filler + 1)).tolist()
                 + [rng.choice(POSITIVE_WORDS if label == "positive" else NEGATIVE_WORDS)])
        for label in labels
    ]
    return pa.table({"review_id": [f"r{index:06d}" for index in range(rows)], "review": texts, "sentiment": labels.tolist()})


def applications(rows: int, seed: int = 0, *, income_shift: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000 + income_shift, 15_000, size=rows)
    age = rng.integers(20, 70, size=rows)
    region = rng.choice(REGIONS, size=rows)
    member = rng.random(rows) < 0.5
    limit = income / 10 + 200 * (region == "north") + 500 * member + rng.normal(0, 100, size=rows)
    return pa.table({
        "applicant": pa.array(range(1000, 1000 + rows), type=pa.int64()),
        "income": income, "age": age, "region": region.tolist(), "is_member": member, "credit_limit": limit,
    })


def saved(folder, task, backbone, head, options, table, *, steps, lr):
    """A model trained with full-batch Adam steps (enough for confident predictions on these
    easy tasks), saved."""
    torch.manual_seed(0)
    model = build_model(task=task, backbone_factory=backbone, head_factory=head, train_table=table, backbone_options=options)
    train_steps(model, model.featurize(table), steps, lr=lr)  # leaves the model in eval mode
    save_model(model, folder)
    return str(folder)


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Training the tiny models on shared cores: more threads than free cores make torch's
    threads spin waiting for each other (the runtime sets its own count per job)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def text_model_dir(tmp_path_factory):
    task = make_task("classes", labels=("negative", "positive"), inputs={"review": "text"}, modality="text", target_column="sentiment")
    options = {**builders.TINY_TEXT_OPTIONS, "max_length": 32}
    return saved(tmp_path_factory.mktemp("text_model"), task, builders.TEXT_BACKBONE, builders.CLASSIFICATION_HEAD,
                 options, reviews(256, seed=1), steps=60, lr=3e-3)


@pytest.fixture(scope="session")
def tabular_model_dir(tmp_path_factory):
    task = make_task("regression", inputs={"income": "number", "age": "integer", "region": "category", "is_member": "boolean"},
                     target_column="credit_limit")
    return saved(tmp_path_factory.mktemp("tabular_model"), task, builders.TABULAR_BACKBONE, builders.REGRESSION_HEAD,
                 {"hidden_size": 16}, applications(400, seed=1), steps=150, lr=1e-2)


@pytest.fixture(scope="session")
def tagging_model_dir(tmp_path_factory):
    task = make_task("token_tags", labels=("O", "B-DRUG", "I-DRUG"), inputs={"words": "tokens"}, modality="text", target_column="tags")
    table = pa.table({
        "words": [["Take", "ibuprofen", "daily"], ["Stop", "paracetamol", "now"], ["Rest"], ["Take", "vitamin", "d"]] * 8,
        "tags": [["O", "B-DRUG", "O"], ["O", "B-DRUG", "O"], ["O"], ["O", "B-DRUG", "I-DRUG"]] * 8,
    })
    return saved(tmp_path_factory.mktemp("tagging_model"), task, builders.TEXT_BACKBONE, builders.TOKEN_HEAD,
                 builders.TINY_TEXT_OPTIONS, table, steps=60, lr=5e-3)


@pytest.fixture(scope="session")
def ranking_model_dir(tmp_path_factory):
    task = make_task("ranking", inputs={"basket_size": "number"}, group_column="customer", top_k=2)
    table = pa.table({
        "customer": ["ann", "bob", "cy"] * 12, "basket_size": [1.0, 5.0, 2.0] * 12, "target": ["tea", "beer", "milk"] * 12,
    })
    return saved(tmp_path_factory.mktemp("ranking_model"), task, builders.TABULAR_BACKBONE, builders.RANKING_HEAD,
                 {"hidden_size": 16}, table, steps=40, lr=2e-2)


def sensor_readings(hours: int = 48) -> pa.Table:
    """Hourly flow of three sensors, a daily cycle each, in long format."""
    steps = np.arange(hours)
    return pa.concat_tables([
        pa.table({
            "sensor": [f"s{sensor}"] * hours,
            "time": pa.array((np.datetime64("2026-01-01T00") + steps.astype("timedelta64[h]")).astype("datetime64[s]")),
            "flow": 100 + 40 * np.sin(2 * np.pi * steps / 24 + sensor),
        })
        for sensor in range(3)
    ])


@pytest.fixture(scope="session")
def forecast_model_dir(tmp_path_factory):
    task = make_task("forecast", inputs={"sensor": "identifier"}, modality="time_series", target_column="flow",
                     horizon=3, quantiles=(0.1, 0.5, 0.9), group_column="sensor", time_column="time")
    return saved(tmp_path_factory.mktemp("forecast_model"), task, builders.TIME_SERIES_BACKBONE, builders.FORECASTING_HEAD,
                 {"hidden_size": 8, "window": 12, "stride": 4}, sensor_readings(), steps=30, lr=1e-2)


def write_input(table: pa.Table, path, input_format: str) -> str:
    if input_format == "parquet":
        pa_parquet.write_table(table, path)
    elif input_format == "csv":
        pa_csv.write_csv(table, path)
    else:
        with open(path, "w") as output:
            output.writelines(json.dumps(row) + "\n" for row in table.to_pylist())
    return str(path)


def read_output(path, output_format: str) -> pa.Table:
    if output_format == "parquet":
        return pa_parquet.read_table(path)
    if output_format == "csv":
        return pa_csv.read_csv(path)
    with open(path) as lines:
        return pa.Table.from_pylist([json.loads(line) for line in lines])


def make_spec(tmp_path, model_dir, table: pa.Table, *, input_format="parquet", output_format="parquet", **overrides) -> InferenceSpec:
    tmp_path.mkdir(parents=True, exist_ok=True)
    input_path = write_input(table, tmp_path / f"input.{input_format}", input_format)
    fields = dict(
        model_dir=model_dir, input_path=input_path, input_format=input_format, output_dir=str(tmp_path / "work"),
        output_path=str(tmp_path / f"out.{output_format}"), output_format=output_format, id_column=None,
    )
    return InferenceSpec(**{**fields, **overrides})


def stopping_after_parts(parts: int) -> RecordedEvents:
    """Events that ask the job to stop once `parts` parts were written (the job reports a
    rows_per_second metric per part, its step the part's index)."""
    return RecordedEvents(stop_after_step=parts - 1)


def logs(events: RecordedEvents) -> str:
    return "\n".join(event[1] for event in events.of("log"))
