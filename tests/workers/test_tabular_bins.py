"""The tabular encoder also reads each number over quantile bins of its training values, fitted
with the featurizer and saved in its state; a model saved before bins existed still loads and
reads its numbers as it was trained to."""
import numpy as np
import pyarrow as pa
import pytest

from indus_workers.backbones.tabular import build_tabular_encoder
from tests.workers.builders import fit_encoder, make_task

TASK = make_task("regression", inputs={"income": "number", "region": "category"})
INCOMES = [float(value) for value in range(1, 101)]
TRAIN = pa.table({"income": INCOMES, "region": ["north", "south"] * 50})


def encoder_with(bins: int):
    return build_tabular_encoder(task=TASK, options={"hidden_size": 8, "numeric_bins": bins})


def test_numbers_are_read_over_the_quantile_bins_of_the_training_values():
    encoder = fit_encoder(encoder_with(4), TRAIN)
    standardised = (np.array(INCOMES) - np.mean(INCOMES)) / np.std(INCOMES)
    assert encoder.featurizer.bin_edges[0] == pytest.approx(np.quantile(standardised, [0, 0.25, 0.5, 0.75, 1]))

    rows = pa.table({"income": [-1000.0, float(np.median(INCOMES)), 10**6], "region": ["north", "east", None]})
    batch = encoder.featurizer.collate(encoder.featurizer.encode(rows, inference=True))
    bins = encoder.bins(batch["numeric"][:, :1]).tolist()
    assert bins[0] == [0, 0, 0, 0] and bins[2] == [1, 1, 1, 1]  # below all bins, above all bins
    assert bins[1] == pytest.approx([1, 1, 0, 0], abs=1e-5)  # the median fills the lower half
    assert encoder(**batch).shape == (3, 8)


def test_every_column_gets_its_bins_whatever_its_values_and_a_model_saved_without_them_loads():
    # A constant column's bins have no width: the encoder's width depends on the columns alone.
    constant = fit_encoder(encoder_with(4), pa.table({"income": [5.0] * 10, "region": ["north"] * 10}))
    assert constant.bins.width == 4
    batch = constant.featurizer.collate(constant.featurizer.encode(pa.table({"income": [5.0, 9.0, None],
                                                                             "region": ["north"] * 3})))
    assert constant.bins(batch["numeric"][:, :1]).tolist() == [[0] * 4, [1] * 4, [0] * 4]

    state = fit_encoder(encoder_with(4), TRAIN).featurizer.state_dict()
    del state["bin_edges"]  # what a model saved before bins existed holds
    older = encoder_with(4)
    older.featurizer.load_state_dict(state)
    older.build_fitted_layers()
    assert older.bins.width == 0
    assert older.mlp[0].in_features == older.featurizer.columns.numeric_width + older.embeddings.width
    batch = older.featurizer.collate(older.featurizer.encode(TRAIN, inference=True))
    assert older(**batch).shape == (TRAIN.num_rows, 8)
