"""The training runtime end to end on tiny models: data in, a saved model, metrics and events out."""
import json
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest

from indus_workers.model import load_model
from indus_workers.training.spec import ComponentSpec, Hyperparameters, TrainingSpec
from indus_workers.training.trainer import train
from tests.workers.builders import (
    CLASSIFICATION_HEAD,
    FORECASTING_HEAD,
    REGRESSION_HEAD,
    TABULAR_BACKBONE,
    TEXT_BACKBONE,
    TIME_SERIES_BACKBONE,
    TINY_TEXT_OPTIONS,
    make_task,
)

FAST = dict(
    learning_rate=3e-3, epochs=4, batch_size=16, weight_decay=0.0, warmup_ratio=0.0, early_stopping_patience=0,
    max_length=32, class_weighting=False, checkpoint_every_steps=0, seed=7, validation_fraction=0.2, test_fraction=0.2,
)


class RecordedEvents:
    def __init__(self, stop_after_step: int | None = None):
        self.events, self.stop_after_step = [], stop_after_step

    def progress(self, fraction, message=""):
        self.events.append(("progress", fraction, message))

    def metric(self, name, step, value):
        self.events.append(("metric", name, step, value))

    def log(self, message):
        self.events.append(("log", message))

    def checkpoint(self, path, step):
        self.events.append(("checkpoint", step))

    def should_stop(self):
        steps = [e[2] for e in self.events if e[0] == "metric"]
        return self.stop_after_step is not None and any(step >= self.stop_after_step for step in steps)

    def of(self, kind):
        return [e for e in self.events if e[0] == kind]


def spec_for(tmp_path, task, table, *, head, backbone, options=None, **hyperparameters) -> TrainingSpec:
    data_path = tmp_path / "data.parquet"
    pa_parquet.write_table(table, data_path)
    return TrainingSpec(
        task=task,
        head=ComponentSpec("head", head),
        backbone=ComponentSpec("backbone", backbone, options or {}),
        data_path=str(data_path),
        output_dir=str(tmp_path / "model"),
        checkpoint_dir=str(tmp_path / "checkpoints"),
        hyperparameters=Hyperparameters(**{**FAST, **hyperparameters}),
    )


def review_table(rows: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    good, bad = ["great", "lovely", "perfect", "excellent"], ["awful", "broken", "terrible", "refund"]
    labels = rng.choice(["positive", "negative"], size=rows, p=[0.6, 0.4])
    filler = ["the", "item", "arrived", "today", "and", "it", "was", "really", "quite"]
    texts = [
        " ".join(rng.choice(filler, size=rng.integers(1, 12)).tolist() + [rng.choice(good if y == "positive" else bad)])
        for y in labels
    ]
    return pa.table({"text": texts, "sentiment": labels.tolist()})


@pytest.fixture
def text_task():
    return make_task("classes", inputs={"text": "text"}, modality="text", target_column="sentiment",
                     labels=("negative", "positive"))


def test_text_classification_learns_saves_and_reports(tmp_path, text_task):
    events = RecordedEvents()
    spec = spec_for(tmp_path, text_task, review_table(240), head=CLASSIFICATION_HEAD, backbone=TEXT_BACKBONE,
                    options=TINY_TEXT_OPTIONS)
    result = train(spec, events)

    assert result["metrics"]["test_accuracy"] > result["reports"]["baseline"]["accuracy"] + 0.15
    assert result["splits"] == {"train": 144, "validation": 48, "test": 48}
    assert set(result["reports"]["per_class"]) == {"negative", "positive"}
    fractions = [e[1] for e in events.of("progress")]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {e[1] for e in events.of("metric")} >= {"loss", "eval_loss", "eval_accuracy"}
    assert len(events.of("checkpoint")) == FAST["epochs"]
    assert "## Test metrics" in result["model_card"]

    saved = sorted(p.name for p in (tmp_path / "model").rglob("*") if p.is_file())
    assert "model.safetensors" in saved and "indus_model.json" in saved
    assert not [name for name in saved if name.endswith((".bin", ".pt", ".pkl", ".pth"))]
    model = load_model(tmp_path / "model")
    rows = model.predict_rows(model.featurize(pa.table({"text": ["perfect, lovely"]}), inference=True))
    assert rows[0]["label"] == "positive"
    json.dumps(result)  # everything the platform stores is JSON


def test_a_stopped_run_resumes_from_its_checkpoint(tmp_path, text_task):
    spec = spec_for(tmp_path, text_task, review_table(240), head=CLASSIFICATION_HEAD, backbone=TEXT_BACKBONE,
                    options=TINY_TEXT_OPTIONS, checkpoint_every_steps=3)
    first = RecordedEvents(stop_after_step=3)
    assert train(spec, first) == {"stopped": True}
    saved_steps = [e[1] for e in first.of("checkpoint")]
    assert saved_steps and not (tmp_path / "model").exists()

    second = RecordedEvents()
    result = train(spec, second)
    assert result["resumed_from"] == f"checkpoint-{saved_steps[-1]}"
    assert ("log", f"resuming from checkpoint-{saved_steps[-1]}") in second.events
    assert min(e[2] for e in second.of("metric")) > saved_steps[-1]  # no step is trained twice
    assert (tmp_path / "model" / "model.safetensors").exists()


def test_tabular_regression_beats_the_mean(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    table = pa.table({"x": x, "target": 3.0 * x + 10 + rng.normal(scale=0.3, size=400)})
    task = make_task("regression")
    result = train(spec_for(tmp_path, task, table, head=REGRESSION_HEAD, backbone=TABULAR_BACKBONE, epochs=20),
                   RecordedEvents())
    assert result["metrics"]["test_mae"] < 0.5 * result["reports"]["baseline"]["mae_of_median"]


def test_forecasting_holds_out_the_latest_windows(tmp_path):
    hours = np.arange(24 * 20)
    series = []
    for sensor in range(3):
        flow = 100 + 50 * np.sin(2 * np.pi * hours / 24 + sensor) + np.random.default_rng(sensor).normal(size=hours.size)
        series.append(pa.table({
            "sensor": [f"s{sensor}"] * hours.size,
            "time": pa.array((np.datetime64("2026-01-01T00") + hours.astype("timedelta64[h]")).astype("datetime64[s]")),
            "flow": flow,
        }))
    task = make_task("forecast", inputs={"sensor": "identifier"}, modality="time_series", target_column="flow",
                     horizon=6, quantiles=(0.1, 0.5, 0.9), group_column="sensor", time_column="time")
    result = train(
        spec_for(tmp_path, task, pa.concat_tables(series), head=FORECASTING_HEAD, backbone=TIME_SERIES_BACKBONE,
                 options={"window": 24, "stride": 2}, epochs=6, learning_rate=1e-2),
        RecordedEvents(),
    )
    assert result["metrics"]["test_mae"] < result["reports"]["baseline"]["mae_of_median"]
    assert 0.5 <= result["metrics"]["test_coverage"] <= 1


@pytest.mark.parametrize(("task_metrics", "validation", "followed"), [
    (("pr_auc", "accuracy"), {"pr_auc": None, "accuracy": 0.8}, ("accuracy", True)),  # no positives: AUC undefined
    (("quadratic_kappa", "mae"), {"mae": 1.5}, ("mae", False)),  # a metric this kind never computes
    (("roc_auc", "majority_class_accuracy"), {"roc_auc": None, "majority_class_accuracy": 0.6}, ("loss", False)),
])
def test_early_stopping_follows_a_metric_with_a_value_else_the_loss(task_metrics, validation, followed):
    from types import SimpleNamespace

    from indus.plugins.verdict import primary_metric
    from indus_workers.training.trainer import StoppingMetric

    events, args = RecordedEvents(), SimpleNamespace(metric_for_best_model="loss", greater_is_better=False)
    stopping = StoppingMetric(SimpleNamespace(metrics=task_metrics), events)
    stopping(args, dict(validation))
    assert (args.metric_for_best_model, args.greater_is_better) == followed
    assert f"follow validation {followed[0]}" in events.of("log")[-1][1]
    chosen = primary_metric(task_metrics, validation)  # the verdict's rule is the same function
    assert (chosen[0] if chosen else "loss") == followed[0]
    # Undefined at a later evaluation: the worst score, said so, not a silent keep of the first checkpoint.
    if followed[0] != "loss":
        later = stopping(args, {**validation, followed[0]: None})
        assert later[followed[0]] == (-np.inf if followed[1] else np.inf)
        assert "undefined" in events.of("log")[-1][1]


def test_early_stopping_follows_the_metrics_moving_average_over_its_patience():
    from types import SimpleNamespace

    from indus_workers.training.trainer import StoppingMetric

    events, args = RecordedEvents(), SimpleNamespace(metric_for_best_model="loss", greater_is_better=False)
    stopping = StoppingMetric(SimpleNamespace(metrics=("mae",)), events, span=3)  # weight 0.5 on the newest
    followed = [stopping(args, {"mae": mae, "loss": 1.0})["smoothed_mae"] for mae in (10.0, 6.0, None, 2.0)]
    assert (args.metric_for_best_model, args.greater_is_better) == ("smoothed_mae", False)
    assert "follow validation mae averaged over about 3 evaluations (lower is better)" in events.of("log")[0][1]
    # An undefined evaluation is the worst raw value, but leaves the average where it was.
    assert followed == [10.0, 8.0, 8.0, 5.0]
    # A patience of one follows the metric as it comes, and the loss is never averaged.
    plain = StoppingMetric(SimpleNamespace(metrics=("mae",)), RecordedEvents(), span=1)
    assert "smoothed_mae" not in plain(args, {"mae": 4.0}) and args.metric_for_best_model == "mae"
    on_loss = StoppingMetric(SimpleNamespace(metrics=("roc_auc",)), RecordedEvents(), span=5)
    assert on_loss(args, {"loss": 0.7}) == {"loss": 0.7} and args.metric_for_best_model == "loss"


def test_a_run_whose_metric_the_kind_never_computes_stops_on_the_loss(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=200)
    table = pa.table({"x": x, "target": 2.0 * x + rng.normal(scale=0.3, size=200)})
    task = make_task("regression")
    task = replace(task, metrics=("roc_auc", "mae"))  # roc_auc: never computed for a regression
    events = RecordedEvents()
    train(spec_for(tmp_path, task, table, head=REGRESSION_HEAD, backbone=TABULAR_BACKBONE, epochs=3,
                   early_stopping_patience=1), events)
    assert any("follow validation mae (lower is better)" in message for _, message in events.of("log"))
