"""Every built-in head on synthetic features: it learns, predicts, decodes and rejects bad targets."""
import re
from dataclasses import replace

import pytest
import torch

from indus_workers.heads.classification import ClassificationHead, MultiLabelHead
from indus_workers.heads.forecasting import ForecastingHead
from indus_workers.heads.ordinal import OrdinalHead
from indus_workers.heads.ranking import RankingHead
from indus_workers.heads.regression import QuantileHead, RegressionHead
from indus_workers.heads.token_classification import TokenClassificationHead
from tests.workers.builders import make_task

HIDDEN = 8
ROWS = 96
LABELS = ("low", "mid", "high")
TAGS = ("O", "B-DRUG", "I-DRUG")
ITEMS = tuple(f"item{index}" for index in range(6))


def projection(features: torch.Tensor, outputs: int, seed: int) -> torch.Tensor:
    """A fixed random linear map of the features: what the synthetic targets depend on."""
    weights = torch.randn(features.shape[-1], outputs, generator=torch.Generator().manual_seed(seed))
    return features @ weights


def argmax_names(names):
    return lambda features: [names[index] for index in projection(features, len(names), 1).argmax(-1).tolist()]


def multi_label_targets(features):
    chosen = projection(features, len(LABELS), 2) > 0
    return [[name for name, keep in zip(LABELS, row) if keep] for row in chosen.tolist()]


def ordinal_targets(features):
    levels = torch.bucketize(projection(features, 1, 3).squeeze(-1), torch.tensor([-1.0, 1.0]))
    return [LABELS[index] for index in levels.tolist()]


def numeric_targets(features):
    # Far from zero and wide, so that the head's own standardisation matters.
    return (1000 + 250 * projection(features, 1, 4).squeeze(-1)).tolist()


def token_targets(features):
    return [[TAGS[index] for index in row] for row in projection(features, len(TAGS), 5).argmax(-1).tolist()]


def forecast_targets(features):
    return (40 + 5 * projection(features, 3, 6)).tolist()


CASES = {
    "classification": (ClassificationHead, make_task("classes", labels=LABELS), argmax_names(LABELS)),
    "multi_label": (MultiLabelHead, make_task("multi_label", labels=LABELS), multi_label_targets),
    "ordinal": (OrdinalHead, make_task("ordinal", labels=LABELS), ordinal_targets),
    "regression": (RegressionHead, make_task("regression"), numeric_targets),
    "quantile": (QuantileHead, make_task("quantiles", quantiles=(0.1, 0.5, 0.9)), numeric_targets),
    "token": (TokenClassificationHead, make_task("token_tags", labels=TAGS, inputs={"words": "tokens"}), token_targets),
    "ranking": (
        RankingHead,
        make_task("ranking", labels=ITEMS, group_column="user", top_k=3),
        argmax_names(ITEMS),
    ),
    "forecasting": (
        ForecastingHead,
        make_task("forecast", horizon=3, time_column="day", group_column="sensor"),
        forecast_targets,
    ),
}


def synthetic(case: str):
    head_class, task, targets_of = CASES[case]
    torch.manual_seed(0)
    head = head_class(hidden_size=HIDDEN, task=task)
    shape = (ROWS, 5, HIDDEN) if head.token_level else (ROWS, HIDDEN)
    features = torch.randn(shape, generator=torch.Generator().manual_seed(7))
    raw_targets = targets_of(features)
    head.fit_targets([value for row in raw_targets for value in (row if isinstance(row, list) else [row])])
    targets = torch.tensor([head.encode_target(value) for value in raw_targets])
    return head, features, targets


def evaluation_loss(head, features, targets) -> float:
    head.eval()
    with torch.no_grad():
        return head.loss(head(features), targets).item()


@pytest.mark.parametrize("case", CASES)
def test_head_learns_a_learnable_problem(case):
    head, features, targets = synthetic(case)
    before = evaluation_loss(head, features, targets)
    optimiser = torch.optim.Adam(head.parameters(), lr=0.05)
    head.train()
    for _ in range(60):
        optimiser.zero_grad()
        head.loss(head(features), targets).backward()
        optimiser.step()
    after = evaluation_loss(head, features, targets)
    assert after < 0.5 * before, f"{case}: loss went from {before:.3f} to {after:.3f}"


@pytest.mark.parametrize("case", CASES)
def test_decode_gives_one_json_row_per_example(case):
    head, features, _ = synthetic(case)
    head.eval()
    rows = head.decode(head.predict(head(features[:4])))
    assert len(rows) == 4
    assert all(isinstance(row, dict) and row for row in rows)


def test_classification_probabilities_are_named_by_label():
    head, features, _ = synthetic("classification")
    predictions = head.predict(head.eval()(features[:5]))
    assert predictions["probabilities"].shape == (5, len(LABELS))
    torch.testing.assert_close(predictions["probabilities"].sum(-1), torch.ones(5))
    for row in head.decode(predictions):
        assert list(row["probabilities"]) == list(LABELS)
        assert row["label"] == max(row["probabilities"], key=row["probabilities"].get)
        assert row["score"] == row["probabilities"][row["label"]]


def test_multi_label_decodes_the_labels_above_one_half():
    head, features, _ = synthetic("multi_label")
    for row in head.decode(head.predict(head.eval()(features[:8]))):
        assert row["labels"] == [name for name, p in row["probabilities"].items() if p >= 0.5]


def test_class_weights_of_zero_make_a_class_irrelevant_to_the_loss():
    task = replace(make_task("classes", labels=("a", "b")), class_weights=(0.0, 1.0))
    head = ClassificationHead(hidden_size=HIDDEN, task=task)
    targets = torch.tensor([0, 1])
    outputs = torch.tensor([[0.3, -0.2], [0.1, 0.4]])
    changed_for_class_a = outputs.clone()
    changed_for_class_a[0] = torch.tensor([-5.0, 5.0])
    assert head.loss(outputs, targets).item() == pytest.approx(head.loss(changed_for_class_a, targets).item())


def test_class_weights_must_match_the_labels():
    task = replace(make_task("classes", labels=("a", "b")), class_weights=(1.0,))
    with pytest.raises(ValueError, match="class_weights has 1 values for 2 labels"):
        ClassificationHead(hidden_size=HIDDEN, task=task)


def test_ordinal_levels_have_ordered_thresholds_and_a_distribution():
    head, features, _ = synthetic("ordinal")
    with torch.no_grad():
        head.raw_thresholds.copy_(torch.tensor([2.0, -3.0]))  # raw values in the wrong order
    assert (head.thresholds.diff() > 0).all()
    predictions = head.predict(head.eval()(features))
    probabilities = predictions["probabilities"]
    assert probabilities.shape == (ROWS, len(LABELS))
    assert (probabilities >= 0).all()
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(ROWS))
    assert {row["level"] for row in head.decode(predictions)} <= set(LABELS)


@pytest.mark.parametrize("case", ["quantile", "forecasting"])
def test_quantiles_never_cross(case):
    head_class, task, _ = CASES[case]
    task = replace(task, target=replace(task.target, quantiles=(0.9, 0.1, 0.5)))  # unsorted on purpose
    torch.manual_seed(1)
    head = head_class(hidden_size=HIDDEN, task=task)
    with torch.no_grad():
        for parameter in head.parameters():
            parameter.mul_(50)  # wild weights: crossing would show if it could happen
    quantiles = head.predict(head(torch.randn(64, HIDDEN)))["quantiles"]
    assert (quantiles.diff(dim=-1) >= 0).all()
    row = head.decode({"quantiles": quantiles[:1]})[0]
    assert list(row["quantiles"]) == ["0.1", "0.5", "0.9"]
    assert row["value"] == row["quantiles"]["0.5"]


def test_forecast_predictions_have_horizon_by_quantiles():
    head, features, _ = synthetic("forecasting")
    predictions = head.predict(head(features[:2]))
    assert predictions["quantiles"].shape == (2, 3, 3)
    rows = head.decode(predictions)
    assert all(len(values) == 3 for values in rows[0]["quantiles"].values())


def test_regression_predictions_come_back_in_the_target_unit():
    head, _, _ = synthetic("regression")
    values = [880.0, 1000.0, 1410.5]
    encoded = torch.tensor([head.encode_target(value) for value in values])
    assert abs(encoded.mean().item()) < 2  # standardised, not in the thousands
    restored = [row["value"] for row in head.decode(head.predict(encoded))]
    assert restored == pytest.approx(values, rel=1e-5)


def test_ranking_returns_the_top_k_items_best_first():
    head, features, _ = synthetic("ranking")
    rows = head.decode(head.predict(head.eval()(features[:4])))
    for row in rows:
        assert len(row["items"]) == 3  # the presentation's top_k
        assert set(row["items"]) <= set(ITEMS)
        assert row["scores"] == sorted(row["scores"], reverse=True)


def test_token_head_decodes_one_tag_per_token():
    head, features, _ = synthetic("token")
    rows = head.decode(head.predict(head(features[:2])))
    assert [len(row["tags"]) for row in rows] == [features.shape[1]] * 2
    assert {tag for row in rows for tag in row["tags"]} <= set(TAGS)


@pytest.mark.parametrize(
    ("case", "bad_value", "named"),
    [
        ("classification", "maybe", "'maybe'"),
        ("multi_label", "low", "'low'"),  # a string, not a list of labels
        ("multi_label", ["low", "extreme"], "'extreme'"),
        ("ordinal", "extreme", "'extreme'"),
        ("regression", "abc", "'abc'"),
        ("regression", float("nan"), "nan"),
        ("quantile", None, "None"),
        ("token", ["O", "B-PERSON"], "'B-PERSON'"),
        ("ranking", "item99", "'item99'"),
        ("forecasting", [1.0, 2.0], "[1.0, 2.0]"),
        ("forecasting", [1.0, "x", 3.0], "'x'"),
    ],
)
def test_encode_target_rejects_bad_values_by_name(case, bad_value, named):
    head_class, task, _ = CASES[case]
    head = head_class(hidden_size=HIDDEN, task=task)
    with pytest.raises(ValueError, match=re.escape(named)):
        head.encode_target(bad_value)
