"""The baselines every version is judged against, fitted on the model's own training split and
scored on its test split by the same `evaluate`, so their metrics sit beside the model's.

- trivial: a prediction that ignores the inputs, learnt from the training split (class shares,
  the median, the commonest tag, equal scores for every item);
- classical: what a data scientist would try first with scikit-learn's defaults:
  HistGradientBoosting and a regularised linear model (logistic regression, ridge) on tabular
  inputs, TF-IDF with a linear model on text, a seasonal naive forecast for time series,
  popularity on the training split for ranking.

Bounded: the classical models fit on at most MAX_FIT_ROWS training rows (a seeded sample above
that, which the result says), TF-IDF keeps at most MAX_TFIDF_FEATURES terms, and a ranking
popularity baseline is skipped when its score matrix would exceed MAX_SCORE_CELLS.
"""
import os
import time

import numpy as np
import pyarrow as pa

from indus.plugins.contract import TargetKind, Task
from indus_workers.backbones.columns import column_as_floats, fit_vocabulary
from indus_workers.evaluation import evaluate

MAX_FIT_ROWS = 100_000
# OpenMP threads for scikit-learn's fits. Left to itself HistGradientBoosting starts one per core
# and spin-waits: on a busy two-core machine 400 rows took 20 s instead of 0.5 s with one thread.
FIT_THREADS = min(4, max(1, (os.cpu_count() or 2) // 2))
MAX_TFIDF_FEATURES = 50_000
MAX_SCORE_CELLS = 20_000_000
HGB_MAX_CATEGORIES = 250  # HistGradientBoosting bins a categorical feature into at most 255 values
NUMERIC_INPUTS = frozenset({"number", "integer", "datetime", "boolean"})
CATEGORICAL_INPUTS = frozenset({"category", "identifier"})
CLASS_KINDS = (TargetKind.CLASSES, TargetKind.ORDINAL)
VALUE_KINDS = (TargetKind.REGRESSION, TargetKind.QUANTILES)


def _names(task: Task, types: frozenset[str]) -> list[str]:
    return [column.name for column in task.inputs if column.type in types]


def _scored(task: Task, truth, name: str, family: str, predictions: dict, **details) -> dict:
    return {"name": name, "family": family, "metrics": evaluate(task, truth, predictions).metrics, **details}


# --- trivial ------------------------------------------------------------------------------------

def trivial_baseline(task: Task, *, train_truth, test_truth, model_predictions: dict) -> dict | None:
    """The best input-blind prediction the training split teaches, in the model's output format."""
    kind, rows = task.target.kind, len(test_truth)
    if kind in CLASS_KINDS or kind == TargetKind.MULTI_LABEL:
        width = np.asarray(model_predictions["probabilities"]).shape[1]
        train = np.asarray(train_truth)
        shares = (np.bincount(train.astype(np.int64), minlength=width)[:width] / len(train)
                  if kind != TargetKind.MULTI_LABEL else train.astype(float).mean(axis=0))
        name = "class_shares" if kind != TargetKind.MULTI_LABEL else "label_shares"
        return _scored(task, test_truth, name, "trivial", {"probabilities": np.tile(shares, (rows, 1))})
    if kind == TargetKind.REGRESSION:
        return _scored(task, test_truth, "training_median", "trivial",
                       {"value": np.full(rows, np.median(np.asarray(train_truth, float)))})
    if kind in (TargetKind.QUANTILES, TargetKind.FORECAST):
        shape = np.asarray(model_predictions["quantiles"]).shape
        levels = np.asarray(task.target.quantiles or (0.5,), float)
        constant = np.quantile(np.asarray(train_truth, float).ravel(), levels)
        return _scored(task, test_truth, "training_quantiles", "trivial",
                       {"quantiles": np.broadcast_to(constant, shape)})
    if kind == TargetKind.RANKING:
        items = np.asarray(model_predictions["scores"]).shape[1]
        if rows * items > MAX_SCORE_CELLS:
            return None
        return _scored(task, test_truth, "equal_scores", "trivial", {"scores": np.zeros((rows, items))})
    if kind == TargetKind.TOKEN_TAGS:
        tags = [tag for sentence in train_truth for tag in sentence]
        commonest = max(set(tags), key=tags.count) if tags else "O"
        return _scored(task, test_truth, "commonest_tag", "trivial",
                       {"tags": [[commonest] * len(sentence) for sentence in test_truth]})
    return None


# --- classical ----------------------------------------------------------------------------------

class TableFeatures:
    """The task's input columns as scikit-learn reads them: numbers (NaN where missing),
    categories as codes of a vocabulary fitted on the training rows, texts as strings."""

    def __init__(self, task: Task, train_rows: pa.Table):
        self.numeric = _names(task, NUMERIC_INPUTS)
        self.categorical = _names(task, CATEGORICAL_INPUTS)
        self.text = _names(task, frozenset({"text"}))
        self.vocabularies = {
            name: fit_vocabulary(train_rows.column(name).to_pylist(), limit=HGB_MAX_CATEGORIES)
            for name in self.categorical
        }

    @property
    def has_tabular(self) -> bool:
        return bool(self.numeric or self.categorical)

    def frame(self, rows: pa.Table):
        import pandas as pd

        columns = {name: column_as_floats(rows.column(name)) for name in self.numeric}
        for name in self.categorical:
            codes = {value: float(index) for index, value in enumerate(self.vocabularies[name])}
            columns[name] = [np.nan if v is None else codes.get(str(v), np.nan) for v in rows.column(name).to_pylist()]
        for name in self.text:
            columns[name] = ["" if v is None else str(v) for v in rows.column(name).to_pylist()]
        return pd.DataFrame(columns)

    def gradient_boosting_input(self, frame):
        return frame[self.numeric + self.categorical].to_numpy(dtype=float)

    def categorical_mask(self) -> list[bool]:
        return [False] * len(self.numeric) + [True] * len(self.categorical)

    def linear_preprocessing(self):
        """Imputed, standardised numbers with missing-indicators; one-hot categories; TF-IDF per text."""
        from sklearn.compose import ColumnTransformer
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler

        parts = []
        if self.numeric:
            parts.append(("numbers", make_pipeline(SimpleImputer(add_indicator=True, keep_empty_features=True),
                                                   StandardScaler()), self.numeric))
        if self.categorical:
            parts.append(("categories", OneHotEncoder(handle_unknown="ignore"), self.categorical))
        for name in self.text:
            parts.append((f"text_{name}", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2,
                                                          max_features=MAX_TFIDF_FEATURES), name))
        return ColumnTransformer(parts, sparse_threshold=1.0 if self.text else 0.0)


def _class_candidates(features: TableFeatures, seed: int) -> list[tuple[str, object]]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    linear_name = "tfidf_logistic_regression" if features.text else "logistic_regression"
    candidates = [(linear_name, make_pipeline(features.linear_preprocessing(), LogisticRegression(max_iter=1000)))]
    if features.has_tabular and not features.text:
        candidates.insert(0, ("hist_gradient_boosting", HistGradientBoostingClassifier(
            categorical_features=features.categorical_mask(), random_state=seed)))
    return candidates


def _value_candidates(features: TableFeatures, seed: int, quantile: float | None = None) -> list[tuple[str, object]]:
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    loss = {"loss": "quantile", "quantile": quantile} if quantile is not None else {}
    candidates = []
    if features.has_tabular and not features.text:
        candidates.append(("hist_gradient_boosting", HistGradientBoostingRegressor(
            categorical_features=features.categorical_mask(), random_state=seed, **loss)))
    if quantile is None:
        linear_name = "tfidf_ridge" if features.text else "ridge"
        candidates.append((linear_name, make_pipeline(features.linear_preprocessing(), Ridge())))
    return candidates


def _fit_input(name: str, features: TableFeatures, frame):
    return features.gradient_boosting_input(frame) if name == "hist_gradient_boosting" else frame


def _row_models(task: Task, *, train_rows, train_truth, test_rows, test_truth, model_predictions, seed) -> list[dict]:
    features = TableFeatures(task, train_rows)
    train_frame, test_frame = features.frame(train_rows), features.frame(test_rows)
    kind, results = task.target.kind, []
    y = np.asarray(train_truth)
    if kind in CLASS_KINDS:
        width = np.asarray(model_predictions["probabilities"]).shape[1]
        if len(np.unique(y)) < 2:
            return []
        for name, estimator in _class_candidates(features, seed):
            started = time.monotonic()
            estimator.fit(_fit_input(name, features, train_frame), y.astype(np.int64))
            probabilities = np.zeros((len(test_rows), width))
            probabilities[:, estimator.classes_] = estimator.predict_proba(_fit_input(name, features, test_frame))
            results.append(_scored(task, test_truth, name, "classical", {"probabilities": probabilities},
                                   seconds=round(time.monotonic() - started, 3)))
    elif kind == TargetKind.REGRESSION:
        for name, estimator in _value_candidates(features, seed):
            started = time.monotonic()
            estimator.fit(_fit_input(name, features, train_frame), y.astype(float))
            value = estimator.predict(_fit_input(name, features, test_frame))
            results.append(_scored(task, test_truth, name, "classical", {"value": value},
                                   seconds=round(time.monotonic() - started, 3)))
    elif kind == TargetKind.QUANTILES and features.has_tabular and not features.text:
        started = time.monotonic()
        columns = []
        for level in task.target.quantiles:
            (name, estimator), = _value_candidates(features, seed, quantile=level)
            estimator.fit(_fit_input(name, features, train_frame), y.astype(float))
            columns.append(estimator.predict(_fit_input(name, features, test_frame)))
        results.append(_scored(task, test_truth, "hist_gradient_boosting", "classical",
                               {"quantiles": np.stack(columns, axis=1)}, seconds=round(time.monotonic() - started, 3)))
    return results


def seasonal_period(times: np.ndarray) -> int:
    """The season of a series from its median step: a day of hours, a week of days, a year of
    weeks; 1 (the last value) for any other step."""
    steps = np.diff(np.unique(times[~np.isnan(times)]))
    if steps.size == 0:
        return 1
    return {3600.0: 24, 86400.0: 7, 604800.0: 52}.get(float(np.median(steps)), 1)


def seasonal_naive(task: Task, *, table: pa.Table, test_examples: list[dict], test_truth, model_predictions) -> dict:
    """Each step of the horizon forecast as the value one season before it (the last value
    when a series is shorter than a season), repeated across the model's quantiles."""
    target = task.target
    keys = [target.group_column, target.time_column] if target.group_column else [target.time_column]
    table = table.sort_by([(name, "ascending") for name in keys])
    values = column_as_floats(table.column(target.column))
    times = table.column(target.time_column).to_pylist()
    series = table.column(target.group_column).to_pylist() if target.group_column else [None] * table.num_rows
    season = seasonal_period(column_as_floats(table.column(target.time_column)))
    position = {(s, str(t)): index for index, (s, t) in enumerate(zip(series, times))}
    start_of = {}
    for index, s in enumerate(series):
        start_of.setdefault(s, index)
    shape = np.asarray(model_predictions["quantiles"]).shape
    forecasts = np.empty(shape[:2])
    for row, example in enumerate(test_examples):
        end = position[(example["series"], example["origin"])] + 1
        history = values[start_of[example["series"]] : end]
        for step in range(shape[1]):
            back = season - (step % season)
            forecasts[row, step] = history[-back] if len(history) >= back else history[-1]
    return _scored(task, test_truth, f"seasonal_naive_{season}", "classical",
                   {"quantiles": np.repeat(forecasts[..., None], shape[2], axis=2)}, season=season)


def popularity(task: Task, *, train_truth, test_truth, model_predictions) -> dict | None:
    """Every item scored by how often it was chosen in the training split."""
    items = np.asarray(model_predictions["scores"]).shape[1]
    if len(test_truth) * items > MAX_SCORE_CELLS:
        return None
    train = np.asarray(train_truth, np.int64)
    counts = np.bincount(train[(train >= 0) & (train < items)], minlength=items).astype(float)
    return _scored(task, test_truth, "training_popularity", "classical",
                   {"scores": np.broadcast_to(counts, (len(test_truth), items))})


def _sample(rows: np.ndarray, seed: int) -> np.ndarray:
    if len(rows) <= MAX_FIT_ROWS:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, MAX_FIT_ROWS, replace=False))


def classical_baselines(
    task: Task, *, table: pa.Table, train_rows, train_truth, test_rows, test_truth, test_examples, model_predictions,
    seed: int,
) -> dict:
    """{"candidates": [...], "fitted_on_rows", "training_rows", "sampled"}, or {"skipped": why}.
    `train_rows`/`test_rows` index `table` (row kinds) and `train_truth` holds the training
    targets in the model's encoding (for row kinds, one per training row)."""
    kind = task.target.kind
    if kind == TargetKind.FORECAST:
        return {"candidates": [seasonal_naive(task, table=table, test_examples=test_examples, test_truth=test_truth,
                                              model_predictions=model_predictions)]}
    if kind == TargetKind.RANKING:
        scored = popularity(task, train_truth=train_truth, test_truth=test_truth, model_predictions=model_predictions)
        return {"candidates": [scored]} if scored else {"skipped": "too many rows x items to score in memory"}
    if kind not in CLASS_KINDS + VALUE_KINDS:
        return {"skipped": f"no classical baseline for {kind} targets yet"}
    if len(train_truth) != len(train_rows) or len(test_truth) != len(test_rows):
        return {"skipped": "some rows gave no example, so the rows and the model's targets do not line up"}
    from threadpoolctl import threadpool_limits

    chosen = _sample(np.arange(len(train_rows)), seed)
    with threadpool_limits(limits=FIT_THREADS, user_api="openmp"):
        candidates = _row_models(
            task, train_rows=table.take(np.asarray(train_rows)[chosen]), train_truth=np.asarray(train_truth)[chosen],
            test_rows=table.take(np.asarray(test_rows)), test_truth=test_truth, model_predictions=model_predictions,
            seed=seed,
        )
    if not candidates:
        return {"skipped": "the training split has one class only, or no input a classical model reads"}
    return {"candidates": candidates, "fitted_on_rows": len(chosen), "training_rows": len(train_rows),
            "sampled": len(chosen) < len(train_rows)}
