"""Metrics of an evaluation split into parts: each part's partial (counts, sums, sketches) goes
through JSON, the partials merge, and the result is the one-pass evaluation of all the rows:
exactly for counts, to float rounding for sums, and within the stated tolerance where a large
set's scores or values are snapped to a grid (checked against scikit-learn and numpy)."""
import json
import math

import numpy as np
import pytest
from seqeval.metrics import f1_score as seqeval_f1
from sklearn.metrics import average_precision_score, r2_score, roc_auc_score

from indus_workers.evaluation import evaluate, evaluation_from_partials, evaluation_partial
from indus_workers.evaluation.partials import merged
from tests.workers.test_metrics import make_task

QUANTILE_LEVELS = (0.1, 0.5, 0.9)
TAGS = ["O", "B-DRUG", "I-DRUG", "B-DOSE", "I-DOSE"]


def noisy_probabilities(rng, truth, classes, *, confidence=2.0):
    """Softmax of logits that favour the true class: a model that is right most of the time."""
    logits = rng.normal(0, 1, (len(truth), classes)) + confidence * np.eye(classes)[truth]
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (exp / exp.sum(axis=1, keepdims=True)).astype(np.float32)


def tagged_sentences(rng, sentences):
    truth = []
    for _ in range(sentences):
        words, tags = rng.integers(1, 9), []
        while len(tags) < words:
            kind = rng.choice(["O", "DRUG", "DOSE"], p=[0.6, 0.25, 0.15])
            tags += ["O"] if kind == "O" else [f"B-{kind}"] + [f"I-{kind}"] * int(rng.integers(0, 2))
        truth.append(tags[:words])
    predicted = [[tag if rng.random() < 0.85 else str(rng.choice(TAGS)) for tag in sentence] for sentence in truth]
    return truth, {"tags": predicted}


def example(kind, rows, seed=0):
    """(task, truth, predictions) of `rows` rows that look like a model's on real data."""
    rng = np.random.default_rng(seed)
    if kind in ("classes", "ordinal"):
        truth = rng.choice(4, size=rows, p=[0.4, 0.3, 0.2, 0.1])
        task = make_task(kind, labels=("none", "mild", "moderate", "severe"), top_k=2, metrics=("top_3_accuracy", "mae"))
        return task, truth, {"probabilities": noisy_probabilities(rng, truth, 4)}
    if kind == "binary":
        truth = (rng.random(rows) < 0.2).astype(int)
        fraud = 1 / (1 + np.exp(-(rng.normal(-1.5, 1.2, rows) + 2.5 * truth)))
        task = make_task("classes", labels=("legit", "fraud"), positive_label="fraud")
        return task, truth, {"probabilities": np.column_stack([1 - fraud, fraud]).astype(np.float32)}
    if kind == "multi_label":
        truth = (rng.random((rows, 5)) < [0.6, 0.3, 0.1, 0.05, 0.5]).astype(int)
        probabilities = np.clip(0.7 * truth + rng.normal(0.15, 0.2, truth.shape), 0, 1)
        return make_task("multi_label", labels=("fever", "cough", "rash", "nausea", "fatigue")), truth, {"probabilities": probabilities}
    if kind in ("regression", "quantiles"):
        truth = np.round(rng.lognormal(8, 0.6, rows), 2).astype(np.float32)  # prices, in cents
        truth[rng.random(rows) < 0.02] = 0.0  # a few free items: MAPE leaves them out
        value = truth * rng.normal(1, 0.1, rows) + rng.normal(0, 50, rows)
        if kind == "regression":
            return make_task("regression", metrics=("mae", "r2")), truth, {"value": value}
        spread = np.abs(rng.normal(300, 80, rows))[:, None] * np.array([-1.3, 0.0, 1.2])
        return make_task("quantiles", quantiles=QUANTILE_LEVELS), truth, {"quantiles": value[:, None] + spread}
    if kind == "forecast":
        truth = 20 + np.cumsum(rng.normal(0, 1, (rows, 3)), axis=1)  # windows of 3 hourly readings
        median = truth + rng.normal(0, 0.8, truth.shape)
        quantiles = median[..., None] + np.array([-1.5, 0.0, 1.5]) * np.arange(1, 4)[None, :, None]
        return make_task("forecast", quantiles=QUANTILE_LEVELS), truth, {"quantiles": quantiles}
    if kind == "token_tags":
        return (make_task("token_tags", labels=TAGS), *tagged_sentences(rng, rows))
    if kind == "ranking":
        items = 40
        truth = rng.integers(0, items, rows)
        truth[rng.random(rows) < 0.03] = -1  # a chosen item outside the catalogue
        scores = rng.normal(0, 1, (rows, items)) + 2.0 * (np.arange(items) == truth[:, None])
        return make_task("ranking", top_k=5, metrics=("recall_at_10", "ndcg_at_10")), truth, {"scores": scores}
    raise AssertionError(kind)


KINDS = ["classes", "binary", "ordinal", "multi_label", "regression", "quantiles", "forecast", "token_tags", "ranking"]


def split_rows(truth, predictions, parts, seed=0):
    """The rows in `parts` consecutive slices of uneven sizes."""
    rng = np.random.default_rng(seed)
    cuts = np.sort(rng.choice(np.arange(1, len(truth)), size=parts - 1, replace=False)) if parts > 1 else []
    bounds = [0, *cuts, len(truth)]
    for start, stop in zip(bounds, bounds[1:]):
        yield truth[start:stop], {key: value[start:stop] for key, value in predictions.items()}


def through_json(partial):
    return json.loads(json.dumps(partial, allow_nan=False))  # what a part stores and sends back


def merged_over(task, truth, predictions, parts):
    return evaluation_from_partials(
        task, [through_json(evaluation_partial(task, *rows)) for rows in split_rows(truth, predictions, parts)]
    ).as_dict()


def assert_same(merged, one_pass, where="result"):
    """Equal structure, counts and labels; floats equal to rounding (sums added in another order)."""
    if isinstance(one_pass, dict):
        assert list(merged) == list(one_pass), where
        for key in one_pass:
            assert_same(merged[key], one_pass[key], f"{where}.{key}")
    elif isinstance(one_pass, list):
        assert len(merged) == len(one_pass), where
        for index, (left, right) in enumerate(zip(merged, one_pass)):
            assert_same(left, right, f"{where}[{index}]")
    elif isinstance(one_pass, float):
        assert isinstance(merged, float) and math.isclose(merged, one_pass, rel_tol=1e-9, abs_tol=1e-12), (where, merged, one_pass)
    else:
        assert type(merged) is type(one_pass) and merged == one_pass, (where, merged, one_pass)


@pytest.mark.parametrize("parts", [1, 2, 7])
@pytest.mark.parametrize("kind", KINDS)
def test_merged_parts_give_the_one_pass_evaluation(kind, parts):
    task, truth, predictions = example(kind, 700)
    assert_same(merged_over(task, truth, predictions, parts), evaluate(task, truth, predictions).as_dict())


def test_partials_merge_in_any_grouping():
    # A worker folds its chunks into its part's partial; the job then merges the parts'.
    task, truth, predictions = example("binary", 500)
    partials = [evaluation_partial(task, *rows) for rows in split_rows(truth, predictions, 3)]
    left_first = evaluation_from_partials(task, [through_json(merged(partials[:2])), partials[2]])
    right_first = evaluation_from_partials(task, [partials[0], through_json(merged(partials[1:]))])
    assert_same(left_first.as_dict(), right_first.as_dict())
    assert_same(left_first.as_dict(), evaluate(task, truth, predictions).as_dict())


def test_a_part_without_labelled_rows_merges_as_nothing():
    task, truth, predictions = example("regression", 300)
    empty = through_json(evaluation_partial(task, truth[:0], {"value": predictions["value"][:0]}))
    with_empty = evaluation_from_partials(task, [empty, evaluation_partial(task, truth, predictions), empty])
    assert_same(with_empty.as_dict(), evaluate(task, truth, predictions).as_dict())
    with pytest.raises(ValueError, match="no rows"):
        evaluation_from_partials(task, [empty, empty])


def test_item_counts_of_parts_that_saw_different_items_line_up():
    # A part counts the items up to the highest it saw: the first part here stops at item 4.
    task, _, predictions = example("ranking", 400)
    truth = np.r_[np.arange(50) % 5, 30 + np.arange(350) % 10]
    partials = [through_json(evaluation_partial(task, truth[rows], {"scores": predictions["scores"][rows]}))
                for rows in (slice(0, 50), slice(50, None))]
    merged_result = evaluation_from_partials(task, partials).as_dict()
    assert_same(merged_result, evaluate(task, truth, predictions).as_dict())
    assert sorted(merged_result["reports"]["baseline"]["items"]) == [30, 31, 32, 33, 34]


def test_partials_of_different_target_kinds_are_refused():
    regression = evaluation_partial(*example("regression", 20))
    classes = evaluation_partial(*example("classes", 20))
    with pytest.raises(ValueError, match="cannot be merged"):
        evaluation_from_partials(example("regression", 1)[0], [regression, classes])


def test_token_tag_entities_are_counted_as_seqeval_counts_them_over_the_whole_set():
    task, truth, predictions = example("token_tags", 900)
    merged = merged_over(task, truth, predictions, 7)
    assert merged["metrics"]["seqeval_f1"] == pytest.approx(seqeval_f1(truth, predictions["tags"]), abs=1e-12)


# --- large sets: the sketches --------------------------------------------------------------------

LARGE_ROWS = 60_000  # past the distinct values a partial keeps exactly


@pytest.mark.parametrize("parts", [1, 2, 7])
def test_curve_areas_of_a_large_set_are_within_the_stated_tolerance(parts):
    task, truth, predictions = example("binary", LARGE_ROWS)
    fraud = predictions["probabilities"][:, 1].astype(float)
    merged = merged_over(task, truth, predictions, parts)
    # The grid is fixed, so any split snaps the same way: the parts give the one-pass areas...
    assert_same(merged["metrics"], evaluate(task, truth, predictions).metrics)
    # ...and those are within the documented tolerance of the exact ones.
    exact_auc = roc_auc_score(truth, fraud)
    assert merged["metrics"]["roc_auc"] == pytest.approx(exact_auc, abs=1e-4)
    assert abs(merged["metrics"]["roc_auc"] - exact_auc) <= merged["reports"]["positive_class"]["roc_auc_within"] < 1e-4
    assert merged["metrics"]["pr_auc"] == pytest.approx(average_precision_score(truth, fraud), abs=1e-3)
    assert merged["reports"]["confusion_matrix"]["matrix"] == [
        [int(np.sum((truth == t) & ((fraud >= 0.5) == p))) for p in (False, True)] for t in (0, 1)
    ]


def test_one_vs_rest_areas_of_a_large_set_are_within_the_stated_tolerance():
    task, truth, predictions = example("classes", LARGE_ROWS)
    merged = merged_over(task, truth, predictions, 7)
    probabilities = predictions["probabilities"].astype(float)
    expected = roc_auc_score(truth, probabilities, multi_class="ovr", average="macro")
    assert merged["metrics"]["roc_auc"] == pytest.approx(expected, abs=1e-4)
    for index, label in enumerate(task.target.labels):
        areas = merged["reports"]["curve_areas"][label]
        assert abs(areas["roc_auc"] - roc_auc_score(truth == index, probabilities[:, index])) <= areas["roc_auc_within"]


@pytest.mark.parametrize("parts", [1, 7])
def test_error_percentiles_and_baseline_of_a_large_set_are_within_the_stated_tolerance(parts):
    task, truth, predictions = example("quantiles", LARGE_ROWS)
    merged = merged_over(task, truth, predictions, parts)
    truth = truth.astype(float)
    median = predictions["quantiles"][:, 1]
    assert_same(merged["metrics"], evaluate(task, truth, predictions).metrics)
    # Sums stay exact however large the set: these need no tolerance.
    assert merged["metrics"]["mae"] == pytest.approx(np.mean(np.abs(median - truth)), rel=1e-9)
    assert merged["metrics"]["r2"] == pytest.approx(r2_score(truth, median), rel=1e-9)
    summary = merged["reports"]["summary"]
    assert summary["truth"]["std"] == pytest.approx(truth.std(), rel=1e-9)
    # Percentiles come from values snapped to within 1e-4 of their size.
    for name, level in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        exact = np.quantile(np.abs(median - truth), level)
        assert summary["absolute_error"][name] == pytest.approx(exact, rel=1e-4), name
    baseline = merged["reports"]["baseline"]
    exact_median = np.median(truth)
    assert baseline["mae_of_median"] == pytest.approx(np.mean(np.abs(truth - exact_median)), abs=1e-4 * 2 * np.abs(truth).mean())
    assert baseline["rmse_of_mean"] == pytest.approx(truth.std(), rel=1e-9)
