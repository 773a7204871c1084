"""The baselines and the verdict of every trained version, through the training runtime, on
public tables that ship inside scikit-learn (they load offline)."""
from dataclasses import replace

import numpy as np
import pyarrow as pa
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from indus_workers import baselines as baselines_module
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
from tests.workers.test_training import RecordedEvents, review_table, spec_for


def bundled_table(loader, labels=None) -> tuple[pa.Table, list[str]]:
    data = loader()
    names = [f"f{index}" for index in range(data.data.shape[1])]
    columns = {name: data.data[:, index] for index, name in enumerate(names)}
    columns["target"] = [labels[y] for y in data.target] if labels else data.target.astype(float)
    return pa.table(columns), names


def trained(tmp_path, task, table, **settings):
    tmp_path.mkdir(parents=True, exist_ok=True)
    head = REGRESSION_HEAD if task.target.kind == "regression" else CLASSIFICATION_HEAD
    return train(spec_for(tmp_path, task, table, head=head, backbone=TABULAR_BACKBONE, **settings), RecordedEvents())


def by_name(result) -> dict:
    return {candidate["name"]: candidate for candidate in result["reports"]["baselines"]["candidates"]}


def test_breast_cancer_gets_boosting_logistic_and_trivial_baselines_on_its_own_splits(tmp_path):
    table, names = bundled_table(load_breast_cancer, labels=["malignant", "benign"])
    task = replace(make_task("classes", inputs={n: "number" for n in names}, labels=("malignant", "benign")),
                   metrics=("roc_auc", "accuracy"))
    result = trained(tmp_path, task, table, epochs=2)

    baselines = result["reports"]["baselines"]
    candidates = by_name(result)
    assert [(c["name"], c["family"]) for c in baselines["candidates"]] == [
        ("class_shares", "trivial"), ("hist_gradient_boosting", "classical"), ("logistic_regression", "classical")]
    # Fitted on exactly the model's training rows, scored on its test rows.
    assert baselines["fitted_on_rows"] == baselines["training_rows"] == result["splits"]["train"]
    assert baselines["sampled"] is False
    # A misaligned truth would put these near chance; a constant prediction ranks nothing.
    assert candidates["hist_gradient_boosting"]["metrics"]["roc_auc"] > 0.95
    assert candidates["logistic_regression"]["metrics"]["roc_auc"] > 0.95
    assert candidates["class_shares"]["metrics"]["roc_auc"] == 0.5
    assert candidates["class_shares"]["metrics"]["accuracy"] == result["metrics"]["test_majority_class_accuracy"]

    verdict = result["reports"]["verdict"]
    assert verdict["metric"] == "roc_auc" and verdict["better"] == "higher"
    assert verdict["model"] == result["metrics"]["test_roc_auc"]
    assert verdict["classical"]["value"] == max(candidates[n]["metrics"]["roc_auc"]
                                                for n in ("hist_gradient_boosting", "logistic_regression"))
    assert "## Against the baselines" in result["model_card"]


def test_wine_three_classes_and_diabetes_regression(tmp_path):
    table, names = bundled_table(load_wine, labels=["a", "b", "c"])
    task = replace(make_task("classes", inputs={n: "number" for n in names}, labels=("a", "b", "c")),
                   metrics=("accuracy",))
    wine = by_name(trained(tmp_path / "wine", task, table, epochs=1))
    assert wine["hist_gradient_boosting"]["metrics"]["accuracy"] > 0.85
    assert wine["logistic_regression"]["metrics"]["accuracy"] > 0.9

    table, names = bundled_table(load_diabetes)
    task = replace(make_task("regression", inputs={n: "number" for n in names}), metrics=("mae",))
    result = trained(tmp_path / "diabetes", task, table, epochs=1)
    diabetes = by_name(result)
    assert set(diabetes) == {"training_median", "hist_gradient_boosting", "ridge"}
    trivial_mae = diabetes["training_median"]["metrics"]["mae"]
    assert diabetes["hist_gradient_boosting"]["metrics"]["mae"] < 0.85 * trivial_mae
    assert diabetes["ridge"]["metrics"]["mae"] < 0.85 * trivial_mae
    assert result["reports"]["verdict"]["better"] == "lower"


def test_a_model_whose_input_says_nothing_does_not_beat_the_majority_class(tmp_path):
    rng = np.random.default_rng(5)
    labels = rng.choice(["paid", "defaulted"], size=300, p=[0.8, 0.2]).tolist()
    table = pa.table({"x": np.zeros(300), "target": labels})  # every row looks the same
    task = replace(make_task("classes", labels=("paid", "defaulted")), metrics=("accuracy", "macro_f1"))
    result = trained(tmp_path, task, table, epochs=2)

    verdict = result["reports"]["verdict"]
    assert verdict["verdict"] == "not_better_than_trivial"
    assert verdict["metric"] == "accuracy"
    assert verdict["model"] <= verdict["trivial"]["value"]
    assert "does not beat the trivial baseline" in result["model_card"]
    assert "do not deploy it" in result["model_card"]


def test_a_large_training_split_is_sampled_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(baselines_module, "MAX_FIT_ROWS", 100)
    table, names = bundled_table(load_breast_cancer, labels=["malignant", "benign"])
    task = make_task("classes", inputs={n: "number" for n in names}, labels=("malignant", "benign"))
    result = trained(tmp_path, task, table, epochs=1)
    baselines = result["reports"]["baselines"]
    assert baselines["sampled"] is True
    assert baselines["fitted_on_rows"] == 100 < baselines["training_rows"] == result["splits"]["train"]
    assert "fitted on a sample of 100 of the" in result["model_card"]


def test_text_gets_tfidf_with_logistic_regression(tmp_path):
    task = replace(make_task("classes", inputs={"text": "text"}, modality="text", target_column="sentiment",
                             labels=("negative", "positive")), metrics=("accuracy",))
    spec = spec_for(tmp_path, task, review_table(240), head=CLASSIFICATION_HEAD, backbone=TEXT_BACKBONE,
                    options=TINY_TEXT_OPTIONS, epochs=1)
    candidates = by_name(train(spec, RecordedEvents()))
    assert set(candidates) == {"class_shares", "tfidf_logistic_regression"}
    # Each review ends with one word that gives its sentiment away; 60% of them are positive.
    assert candidates["tfidf_logistic_regression"]["metrics"]["accuracy"] > 0.8
    assert candidates["class_shares"]["metrics"]["accuracy"] < 0.7


def test_an_hourly_series_gets_a_seasonal_naive_forecast(tmp_path):
    hours = np.arange(24 * 20)
    flow = 100 + 50 * np.sin(2 * np.pi * hours / 24) + np.random.default_rng(1).normal(size=hours.size)
    table = pa.table({
        "time": pa.array((np.datetime64("2026-01-01T00") + hours.astype("timedelta64[h]")).astype("datetime64[s]")),
        "flow": flow,
    })
    task = replace(make_task("forecast", inputs={"time": "datetime"}, modality="time_series", target_column="flow",
                             horizon=6, quantiles=(0.1, 0.5, 0.9), time_column="time"), metrics=("mae",))
    result = train(spec_for(tmp_path, task, table, head=FORECASTING_HEAD, backbone=TIME_SERIES_BACKBONE,
                            options={"window": 24, "stride": 4}, epochs=1), RecordedEvents())
    candidates = by_name(result)
    seasonal = candidates["seasonal_naive_24"]
    # A day-periodic series with noise of spread 1: one day back is right to within the noise.
    assert seasonal["metrics"]["mae"] < 2.0 < candidates["training_quantiles"]["metrics"]["mae"]
