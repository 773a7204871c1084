"""The tabular featurizer: train-fitted scales and vocabularies, missing values, unknown categories."""
import datetime

import numpy as np
import pyarrow as pa
import pytest

from indus_workers.backbones.columns import UNKNOWN_ID
from indus_workers.backbones.tabular import build_tabular_encoder
from tests.workers.builders import fit_encoder, make_task

INPUTS = {"income": "number", "age": "integer", "region": "category", "is_member": "boolean"}


@pytest.fixture
def encoder():
    return build_tabular_encoder(task=make_task("regression", inputs=INPUTS), options={"hidden_size": 16})


def table(income, age, region, is_member):
    return pa.table({"income": income, "age": age, "region": region, "is_member": is_member})


TRAIN = table([1000.0, 3000.0, 5000.0, 7000.0], [20, 30, 40, 50], ["north", "south", "north", "east"], [True, False, True, False])


def test_numbers_are_standardised_with_the_training_scale(encoder):
    fit_encoder(encoder, TRAIN)
    train = np.array([example["numeric"] for example in encoder.featurizer.encode(TRAIN)])
    assert train[:, :2].mean(axis=0) == pytest.approx([0, 0], abs=1e-6)
    assert train[:, :2].std(axis=0) == pytest.approx([1, 1], rel=1e-5)

    incomes = np.array(TRAIN.column("income").to_pylist())
    later = encoder.featurizer.encode(table([9000.0], [35], ["north"], [True]))[0]
    assert later["numeric"][0] == pytest.approx((9000 - incomes.mean()) / incomes.std(), rel=1e-5)


def test_missing_numbers_become_zero_with_an_indicator(encoder):
    fit_encoder(encoder, TRAIN)
    mean_age = float(np.mean(TRAIN.column("age").to_pylist()))
    example = encoder.featurizer.encode(table([None], [mean_age], ["north"], [None]))[0]
    assert example["numeric"] == [0.0, pytest.approx(0.0, abs=1e-6), 1.0, 0.0]  # income, age, their indicators


def test_unseen_and_missing_categories_share_the_unknown_bucket(encoder):
    fit_encoder(encoder, TRAIN)
    seen, unseen, missing = encoder.featurizer.encode(table([1.0] * 3, [1] * 3, ["south", "west", None], [True] * 3))
    assert seen["categories"][0] != UNKNOWN_ID
    assert unseen["categories"][0] == UNKNOWN_ID == missing["categories"][0]


def test_the_encoder_is_sized_by_the_fitted_vocabularies(encoder):
    fit_encoder(encoder, TRAIN)
    sizes = [table.num_embeddings for table in encoder.embeddings.tables]
    assert sizes == [len(set(TRAIN.column(name).to_pylist())) + 1 for name in ("region", "is_member")]
    batch = encoder.featurizer.collate(encoder.featurizer.encode(TRAIN))
    assert encoder(**batch).shape == (TRAIN.num_rows, 16)


def test_ranking_uses_who_asks_as_a_feature():
    task = make_task("ranking", inputs={"basket_size": "number"}, group_column="customer")
    encoder = build_tabular_encoder(task=task)
    assert encoder.featurizer.columns.categorical_columns == ["customer"]


def test_timestamps_are_numbers():
    task = make_task("regression", inputs={"opened": "datetime"})
    encoder = build_tabular_encoder(task=task)
    days = [datetime.datetime(2024, 1, day) for day in (1, 2, 4)]
    data = pa.table({"opened": days})
    fit_encoder(encoder, data)
    values = [example["numeric"][0] for example in encoder.featurizer.encode(data)]
    assert values == sorted(values) and values[2] - values[1] == pytest.approx(2 * (values[1] - values[0]))
