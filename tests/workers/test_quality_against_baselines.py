"""With no hyperparameters given, the generic tabular templates hold their own against what a
data scientist would fit first (issue 14), on real public tables that ship inside
scikit-learn. Each table is trained through the runtime exactly as a job with an empty
`hyperparameters` trains it; HistGradientBoosting with its defaults is fitted here on the same
training rows and scored on the same test rows, and must agree with the version's own
baseline report, whose linear model is then read from it."""
import numpy as np
import pyarrow as pa
import pytest
from sklearn import datasets
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import accuracy_score, roc_auc_score

from bench.support import baseline_metric, train_template_with_defaults
from indus.plugins.manager import build_registry
from indus.training.hyperparameters import defaults
from indus_workers.training.splits import split_rows


def trained(tmp_path, template: str, frame, *, labels=(), positive_label=""):
    """The run's result, and the training and test rows it used (the platform's seeded split)."""
    inputs = {name: "number" for name in frame.columns if name != "target"}
    result = train_template_with_defaults(template, pa.Table.from_pandas(frame, preserve_index=False), tmp_path,
                                          target="target", inputs=inputs, labels=labels, positive_label=positive_label)
    registry = build_registry()
    chosen = defaults(backbone=registry.backbones[registry.templates[template].backbone])
    splits = split_rows(len(frame), seed=chosen["seed"], strata=list(frame["target"]) if labels else None,
                        validation_fraction=chosen["validation_fraction"], test_fraction=chosen["test_fraction"])
    assert result["splits"] == splits.sizes()
    return result, np.asarray(splits.train), np.asarray(splits.test), chosen["seed"]


def labelled(loader):
    data = loader(as_frame=True)
    names = [str(name) for name in data.target_names]
    return data.data.assign(target=[names[value] for value in data.target]), tuple(names)


def test_tabular_classification_is_within_a_hundredth_of_the_better_baselines_roc_auc(tmp_path):
    frame, labels = labelled(datasets.load_breast_cancer)
    result, train, test, seed = trained(tmp_path, "indus.tabular_classification", frame, labels=labels,
                                        positive_label="malignant")
    features, target = frame.drop(columns="target").to_numpy(), frame["target"].to_numpy()
    trees = HistGradientBoostingClassifier(random_state=seed).fit(features[train], target[train])
    malignant = list(trees.classes_).index("malignant")
    trees_auc = roc_auc_score(target[test] == "malignant", trees.predict_proba(features[test])[:, malignant])
    assert baseline_metric(result, "hist_gradient_boosting", "roc_auc") == pytest.approx(trees_auc, abs=1e-9)

    better = max(trees_auc, baseline_metric(result, "logistic_regression", "roc_auc"))
    assert result["metrics"]["test_roc_auc"] >= better - 0.01, (result["metrics"]["test_roc_auc"], better)


def test_tabular_classification_of_several_classes_is_as_accurate_as_gradient_boosting(tmp_path):
    frame, labels = labelled(datasets.load_wine)
    result, train, test, seed = trained(tmp_path, "indus.tabular_classification", frame, labels=labels)
    features, target = frame.drop(columns="target").to_numpy(), frame["target"].to_numpy()
    trees = HistGradientBoostingClassifier(random_state=seed).fit(features[train], target[train])
    trees_accuracy = accuracy_score(target[test], trees.predict(features[test]))
    assert baseline_metric(result, "hist_gradient_boosting", "accuracy") == pytest.approx(trees_accuracy)
    assert result["metrics"]["test_accuracy"] >= trees_accuracy


def test_tabular_regression_beats_the_regularised_linear_model(tmp_path):
    frame = datasets.load_diabetes(as_frame=True, scaled=False).frame
    result, train, test, seed = trained(tmp_path, "indus.tabular_regression", frame)
    features, target = frame.drop(columns="target").to_numpy(), frame["target"].to_numpy()
    trees = HistGradientBoostingRegressor(random_state=seed).fit(features[train], target[train])
    trees_mae = float(np.abs(trees.predict(features[test]) - target[test]).mean())
    assert baseline_metric(result, "hist_gradient_boosting", "mae") == pytest.approx(trees_mae, rel=1e-6)

    # On a table this close to linear a regularised MLP must at least match ridge regression, and
    # with the platform's defaults it is within the issue's 2% of the trees' MAE. This split is
    # the trees' best (over other splits the MLP is 2% to 10% ahead of them), and on it the MLP's
    # initialisation alone moves it between 1% and 5% behind them (within 2% on three of eight).
    model_mae = result["metrics"]["test_mae"]
    assert model_mae < baseline_metric(result, "ridge", "mae"), (model_mae, trees_mae)
    assert model_mae <= 1.02 * trees_mae, (model_mae, trees_mae)
