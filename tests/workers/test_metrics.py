"""The evaluation metrics, kind by kind, on cases small enough to check by hand.

Expected values are worked out here in plain Python (pair counting, loops), never by calling
the library the code under test may itself rely on.
"""
import json
import math
from dataclasses import replace

import numpy as np
import pytest

from indus.plugins.contract import Column, ColumnType, Modality, Presentation, Target, TargetKind, Task, metric_named
from indus_workers.evaluation import evaluate, majority_baseline

# What a target kind needs besides labels and quantiles for the contract to accept it.
TARGET_NEEDS = {"ranking": {"group_column": "user"}, "forecast": {"horizon": 3, "time_column": "time"}}


def make_task(kind, *, labels=(), quantiles=(), metrics=(), top_k=1, positive_label=""):
    """A task of the contract for a target kind, with what evaluation reads set as given."""
    return Task(
        name=f"test.{kind}", title=kind, description="", modality=Modality.TABULAR,
        inputs=(Column("x", ColumnType.NUMBER),),
        target=Target(TargetKind(kind), "target", labels=tuple(labels), quantiles=tuple(quantiles), **TARGET_NEEDS.get(kind, {})),
        head=kind, backbone="any", metrics=tuple(metrics) or ("loss",),
        presentation=Presentation(top_k=top_k, positive_label=positive_label),
    )


def pairwise_auc(positive_scores, negative_scores):
    """ROC AUC as the chance that a positive outscores a negative (a tie counts half)."""
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positive_scores for n in negative_scores)
    return wins / (len(positive_scores) * len(negative_scores))


def pinball(truth, prediction, level):
    return level * (truth - prediction) if truth >= prediction else (1 - level) * (prediction - truth)


def one_hot(classes, count):
    return np.eye(count)[classes]


# --- classes -----------------------------------------------------------------------------------

FRAUD = make_task(
    "classes", labels=("legit", "fraud"), positive_label="fraud", metrics=("pr_auc", "roc_auc", "macro_f1")
)
FRAUD_TRUTH = np.array([0, 0, 1, 1, 0, 1])
FRAUD_SCORES = [0.1, 0.4, 0.35, 0.8, 0.7, 0.9]  # the probability of fraud, row by row


def fraud_probabilities():
    fraud = np.array(FRAUD_SCORES)
    return {"probabilities": np.column_stack([1 - fraud, fraud])}


def test_perfect_class_predictions_score_one():
    truth = np.array([0, 1, 2, 2, 1, 0])
    task = make_task("classes", labels=("a", "b", "c"), top_k=2)
    metrics = evaluate(task, truth, {"probabilities": one_hot(truth, 3)}).metrics
    for name in ("accuracy", "macro_f1", "weighted_f1", "balanced_accuracy", "roc_auc", "pr_auc", "top_k_accuracy"):
        assert metrics[name] == pytest.approx(1.0), name


def test_binary_areas_and_scores_are_those_of_the_positive_class():
    evaluation = evaluate(FRAUD, FRAUD_TRUTH, fraud_probabilities())
    positives = [s for s, t in zip(FRAUD_SCORES, FRAUD_TRUTH) if t == 1]
    negatives = [s for s, t in zip(FRAUD_SCORES, FRAUD_TRUTH) if t == 0]
    assert evaluation.metrics["roc_auc"] == pytest.approx(pairwise_auc(positives, negatives))  # 7/9
    # Ranked by score: fraud, fraud, legit, legit, fraud, legit -> precision 1, 1 and 3/5 at each fraud.
    assert evaluation.metrics["pr_auc"] == pytest.approx((1 + 1 + 3 / 5) / 3)
    # At the argmax, rows 3, 4 and 5 are called fraud: two hits, one false alarm, one miss.
    assert evaluation.metrics["accuracy"] == pytest.approx(4 / 6)
    assert evaluation.metrics["precision"] == evaluation.metrics["recall"] == pytest.approx(2 / 3)
    assert evaluation.metrics["macro_f1"] == pytest.approx(2 / 3)
    assert evaluation.reports["positive_class"]["label"] == "fraud"
    assert evaluation.reports["confusion_matrix"] == {"labels": ["legit", "fraud"], "matrix": [[2, 1], [1, 2]]}
    assert evaluation.unsupported == []


def test_positive_label_chooses_the_class_the_areas_describe():
    task = replace(FRAUD, presentation=Presentation(top_k=1, positive_label="legit"))
    evaluation = evaluate(task, FRAUD_TRUTH, fraud_probabilities())
    assert evaluation.reports["positive_class"]["label"] == "legit"
    # Ranked by legit probability: legit, fraud, legit, legit, fraud, fraud.
    assert evaluation.metrics["pr_auc"] == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)


def test_a_class_absent_from_the_truth_leaves_the_macro_areas_undefined():
    truth = np.array([0, 1, 0, 1])
    probabilities = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.5, 0.1, 0.4], [0.1, 0.6, 0.3]])
    evaluation = evaluate(make_task("classes", labels=("a", "b", "c")), truth, {"probabilities": probabilities})
    assert evaluation.metrics["roc_auc"] is None and evaluation.metrics["pr_auc"] is None
    assert evaluation.reports["curve_areas"]["c"] == {"roc_auc": None, "pr_auc": None}
    assert evaluation.reports["curve_areas"]["a"]["roc_auc"] == pytest.approx(1.0)
    assert evaluation.metrics["accuracy"] == pytest.approx(1.0)


def test_top_k_accuracy_counts_the_truth_among_the_k_likeliest():
    truth = np.array([0, 1, 2, 2])
    probabilities = np.array([[0.6, 0.3, 0.1], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.1, 0.2, 0.7]])
    task = make_task("classes", labels=("a", "b", "c"), top_k=2, metrics=("top_1_accuracy",))
    metrics = evaluate(task, truth, {"probabilities": probabilities}).metrics
    assert metrics["top_k_accuracy"] == metrics["top_2_accuracy"] == pytest.approx(3 / 4)  # row 2's truth is third
    assert metrics["top_1_accuracy"] == metrics["accuracy"] == pytest.approx(2 / 4)


def test_majority_class_accuracy_is_the_baseline_to_beat():
    task = make_task("classes", labels=("no", "yes"))
    truth = np.array([0, 0, 0, 1])
    evaluation = evaluate(task, truth, {"probabilities": one_hot([1, 1, 1, 1], 2)})
    assert evaluation.metrics["majority_class_accuracy"] == pytest.approx(0.75)
    expected = {"strategy": "majority_class", "label": "no", "accuracy": 0.75}
    assert evaluation.reports["baseline"] == majority_baseline(task, truth) == expected


# --- ordinal -----------------------------------------------------------------------------------


def test_ordinal_kappa_and_level_error():
    truth, predicted = [0, 1, 2, 3, 3], [0, 2, 2, 1, 3]
    task = make_task("ordinal", labels=("low", "medium", "high", "very_high"), metrics=("quadratic_kappa", "mae"))
    evaluation = evaluate(task, np.array(truth), {"probabilities": one_hot(predicted, 4)})
    # Quadratic kappa by its definition: 1 - observed squared distance / the one chance would give.
    rows = len(truth)
    observed = sum((t - p) ** 2 for t, p in zip(truth, predicted))
    by_chance = sum((t - p) ** 2 for t in truth for p in predicted) / rows
    assert evaluation.metrics["quadratic_kappa"] == pytest.approx(1 - observed / by_chance)
    assert evaluation.metrics["mae_levels"] == evaluation.metrics["mae"] == pytest.approx((0 + 1 + 0 + 2 + 0) / 5)
    assert evaluation.unsupported == []


# --- multi-label -------------------------------------------------------------------------------


def test_multi_label_scores_at_the_half_threshold():
    truth = np.array([[1, 0, 1], [0, 1, 0]])
    probabilities = np.array([[0.9, 0.2, 0.4], [0.1, 0.7, 0.6]])  # predicts {x} and {y, z}
    evaluation = evaluate(make_task("multi_label", labels=("x", "y", "z")), truth, {"probabilities": probabilities})
    # Hits 2, predicted 3, true 3 overall; per label x and y are perfect and z is all wrong.
    assert evaluation.metrics["micro_f1"] == pytest.approx(2 * 2 / (3 + 3))
    assert evaluation.metrics["macro_f1"] == pytest.approx((1 + 1 + 0) / 3)
    assert evaluation.metrics["subset_accuracy"] == 0.0
    assert evaluation.reports["per_class"]["z"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


# --- regression, quantiles, forecast -----------------------------------------------------------


def test_regression_errors_by_hand():
    truth, value = [1.0, 2.0, 4.0], [2.0, 2.0, 2.0]
    metrics = evaluate(make_task("regression"), np.array(truth), {"value": np.array(value)}).metrics
    mean = sum(truth) / 3
    assert metrics["mae"] == pytest.approx((1 + 0 + 2) / 3)
    assert metrics["rmse"] == pytest.approx(math.sqrt((1 + 0 + 4) / 3))
    assert metrics["mape"] == pytest.approx((1 / 1 + 0 / 2 + 2 / 4) / 3)
    assert metrics["r2"] == pytest.approx(1 - 5 / sum((t - mean) ** 2 for t in truth))


def test_perfect_regression_has_no_error():
    truth = np.array([3.0, -1.0, 7.5])
    metrics = evaluate(make_task("regression"), truth, {"value": truth.copy()}).metrics
    assert (metrics["mae"], metrics["rmse"], metrics["mape"], metrics["r2"]) == (0.0, 0.0, 0.0, 1.0)


def test_mape_skips_zero_truths_and_is_undefined_when_all_are_zero():
    some_zero = evaluate(make_task("regression"), np.array([0.0, 2.0]), {"value": np.array([5.0, 3.0])}).metrics
    assert some_zero["mape"] == pytest.approx(0.5)
    all_zero = evaluate(make_task("regression"), np.zeros(3), {"value": np.ones(3)}).metrics
    assert all_zero["mape"] is None and all_zero["r2"] is None and all_zero["mae"] == 1.0


LEVELS = (0.1, 0.5, 0.9)
QUANTILE_TASK = make_task("quantiles", quantiles=LEVELS)


def test_quantile_pinball_coverage_and_median():
    truth = [0.0, 10.0]
    predictions = [[-1.0, 0.0, 1.0], [0.0, 5.0, 8.0]]  # the second truth lies above its 90th percentile
    evaluation = evaluate(QUANTILE_TASK, np.array(truth), {"quantiles": np.array(predictions)})
    losses = [pinball(t, row[i], level) for t, row in zip(truth, predictions) for i, level in enumerate(LEVELS)]
    expected_pinball = sum(losses) / len(losses)
    assert evaluation.metrics["pinball_loss"] == pytest.approx(expected_pinball)
    assert evaluation.metrics["coverage"] == pytest.approx(0.5)
    assert evaluation.metrics["nominal_coverage"] == pytest.approx(0.8)
    assert evaluation.metrics["mae"] == pytest.approx((0 + 5) / 2)  # of the 0.5 quantile


def test_crossed_quantiles_still_bound_an_interval():
    crossed = evaluate(QUANTILE_TASK, np.array([0.0]), {"quantiles": np.array([[1.0, 0.0, -1.0]])})
    assert crossed.metrics["coverage"] == 1.0
    assert crossed.reports["crossing_share"] == 1.0


def test_quantile_columns_follow_the_task_order_of_levels():
    truth = np.array([0.0, 10.0])
    in_task_order = np.array([[1.0, -1.0, 0.0], [8.0, 0.0, 5.0]])  # 0.9, 0.1, 0.5
    shuffled = evaluate(make_task("quantiles", quantiles=(0.9, 0.1, 0.5)), truth, {"quantiles": in_task_order})
    ordered = evaluate(QUANTILE_TASK, truth, {"quantiles": in_task_order[:, [1, 2, 0]]})
    assert shuffled.metrics == ordered.metrics
    assert shuffled.reports["crossing_share"] == 0.0


def test_forecast_reports_error_per_horizon_step():
    truth = np.array([[1.0, 2.0], [3.0, 4.0]])
    medians = np.array([[1.0, 4.0], [3.0, 3.0]])  # step 1 exact; step 2 off by 2 and by 1
    predictions = np.stack([medians - 1, medians, medians + 1], axis=-1)
    evaluation = evaluate(make_task("forecast", quantiles=LEVELS), truth, {"quantiles": predictions})
    assert [step["mae"] for step in evaluation.reports["horizon"]] == pytest.approx([0.0, 1.5])
    assert [step["coverage"] for step in evaluation.reports["horizon"]] == pytest.approx([1.0, 0.5])
    assert evaluation.metrics["mae"] == pytest.approx(3 / 4)
    assert evaluation.metrics["coverage"] == pytest.approx(3 / 4)


# --- token tags --------------------------------------------------------------------------------


def test_token_tags_score_whole_entities():
    truth = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
    predicted = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG"]]
    evaluation = evaluate(make_task("token_tags", labels=("O", "B-PER")), truth, {"tags": predicted})
    # Three true entities, two predicted, both right.
    assert evaluation.metrics["seqeval_precision"] == 1.0
    assert evaluation.metrics["seqeval_recall"] == pytest.approx(2 / 3)
    assert evaluation.metrics["seqeval_f1"] == pytest.approx(2 * 2 / (2 + 3))
    assert evaluation.metrics["token_accuracy"] == pytest.approx(5 / 6)
    assert evaluation.reports["per_class"]["LOC"]["recall"] == 0.0
    assert evaluation.reports["baseline"] == {"strategy": "majority_tag", "tag": "O", "token_accuracy": 2 / 6}


def test_a_half_found_entity_is_not_found():
    truth, predicted = [["B-PER", "I-PER"]], [["B-PER", "O"]]
    metrics = evaluate(make_task("token_tags", labels=("O", "B-PER")), truth, {"tags": predicted}).metrics
    assert metrics["seqeval_f1"] == 0.0 and metrics["token_accuracy"] == 0.5


def test_token_tags_without_any_entity_give_zeros_not_nan():
    evaluation = evaluate(make_task("token_tags", labels=("O", "B-X")), [["O", "O"]], {"tags": [["O", "O"]]})
    assert evaluation.metrics["seqeval_f1"] == 0.0
    assert evaluation.reports["per_class"] == {}


def test_sentences_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="sentence 0"):
        evaluate(make_task("token_tags", labels=("O", "B-X")), [["O", "O"]], {"tags": [["O"]]})


# --- ranking -----------------------------------------------------------------------------------


def test_ranking_with_one_relevant_item():
    scores = np.array([[0.1, 0.9, 0.5], [0.8, 0.1, 0.5], [0.3, 0.2, 0.1]])
    truth = np.array([1, 2, 2])  # ranked first, second and third
    task = make_task("ranking", top_k=2, metrics=("recall_at_k", "ndcg_at_k", "recall_at_1", "mrr"))
    metrics = evaluate(task, truth, {"scores": scores}).metrics
    assert metrics["recall_at_k"] == metrics["recall_at_2"] == metrics["hit_rate_at_2"] == pytest.approx(2 / 3)
    assert metrics["recall_at_1"] == pytest.approx(1 / 3)
    assert metrics["ndcg_at_k"] == pytest.approx((1 + 1 / math.log2(3) + 0) / 3)
    assert metrics["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)


def test_tied_scores_do_not_make_a_constant_ranker_look_perfect():
    task = make_task("ranking", top_k=1)
    metrics = evaluate(task, np.array([0, 1, 2]), {"scores": np.ones((3, 3))}).metrics
    assert metrics["recall_at_1"] == 0.0


def test_popularity_baseline_recommends_the_most_chosen_items():
    baseline = majority_baseline(make_task("ranking", top_k=1), np.array([2, 2, 0, 2]))
    assert baseline == {"strategy": "most_popular", "items": [2], "recall_at_1": 0.75}


# --- across kinds ------------------------------------------------------------------------------

EXAMPLES = {
    "classes": (make_task("classes", labels="abc", top_k=2), np.array([0, 0, 1]), {"probabilities": one_hot([0, 1, 1], 3)}),
    "ordinal": (make_task("ordinal", labels="abc"), np.array([0, 0, 0]), {"probabilities": one_hot([0, 0, 0], 3)}),
    "multi_label": (make_task("multi_label", labels="ab"), np.zeros((2, 2), int), {"probabilities": np.zeros((2, 2))}),
    "regression": (make_task("regression"), np.zeros(2), {"value": np.zeros(2)}),
    "quantiles": (make_task("quantiles", quantiles=(0.5,)), np.zeros(2), {"quantiles": np.zeros((2, 1))}),
    "forecast": (make_task("forecast", quantiles=LEVELS), np.zeros((2, 3)), {"quantiles": np.zeros((2, 3, 3))}),
    "token_tags": (make_task("token_tags", labels=("O", "B-X")), [["O"]], {"tags": [["B-X"]]}),
    "ranking": (make_task("ranking", top_k=5), np.array([0, -1]), {"scores": np.zeros((2, 3))}),
}


@pytest.mark.parametrize("kind", EXAMPLES)
def test_degenerate_inputs_give_json_without_nan(kind):
    task, truth, predictions = EXAMPLES[kind]
    evaluation = evaluate(task, truth, predictions)
    json.dumps(evaluation.as_dict(), allow_nan=False)  # raises on NaN, infinity or a numpy value
    assert all(value is None or type(value) in (float, int) for value in evaluation.metrics.values())


@pytest.mark.parametrize("kind", EXAMPLES)
def test_every_reported_metric_declares_which_way_is_better(kind):
    # The registry marks the best version by the declaration: a metric the runtime reports
    # without one would be shown with no best at all.
    task, truth, predictions = EXAMPLES[kind]
    reported = set(evaluate(task, truth, predictions).metrics)
    if kind == "classes":  # a binary task adds the positive class's scores
        reported |= set(evaluate(FRAUD, FRAUD_TRUTH, fraud_probabilities()).metrics)
    assert reported
    undeclared = sorted(name for name in reported if metric_named(name) is None)
    assert not undeclared, f"{kind} reports metrics that METRICS does not declare: {undeclared}"


def test_unknown_metric_names_are_listed_not_fatal():
    task = make_task("regression", metrics=("mae", "loss", "smape"))
    evaluation = evaluate(task, np.array([1.0, 2.0]), {"value": np.array([1.0, 2.0])})
    assert evaluation.unsupported == ["smape"]
    assert "loss" not in evaluation.metrics


@pytest.mark.parametrize(
    ("task", "truth", "predictions", "message"),
    [
        (make_task("regression"), np.zeros(0), {"value": np.zeros(0)}, "no rows"),
        (make_task("classes", labels="ab"), np.array([0, 1]), {"probabilities": np.zeros((2, 3))}, "2 labels"),
        (make_task("classes", labels="ab"), np.array([0, 2]), {"probabilities": np.zeros((2, 2))}, "outside"),
        (make_task("quantiles", quantiles=LEVELS), np.zeros(2), {"quantiles": np.zeros((2, 2))}, "3 quantiles"),
    ],
)
def test_inputs_that_do_not_fit_the_task_are_refused_by_name(task, truth, predictions, message):
    with pytest.raises(ValueError, match=message):
        evaluate(task, truth, predictions)


def test_a_task_sent_as_json_is_understood():
    task = Task.from_dict(json.loads(json.dumps(Task(
        name="test.sentiment", title="Sentiment", description="", modality=Modality.TEXT,
        inputs=(Column("text", ColumnType.TEXT),), target=Target(TargetKind.CLASSES, "label", ("neg", "pos")),
        head="classification", backbone="minilm", metrics=("accuracy", "loss"),
        presentation=Presentation(positive_label="pos"),
    ).as_dict())))
    evaluation = evaluate(task, np.array([0, 1]), {"probabilities": one_hot([0, 1], 2)})
    assert evaluation.metrics["accuracy"] == 1.0 and evaluation.unsupported == []
