"""The time-series featurizer: windows per series in time order, their targets, and inference."""
import random

import pyarrow as pa
import pytest

from indus_workers.backbones.time_series import build_time_series_encoder
from indus_workers.heads.forecasting import ForecastingHead
from indus_workers.targets import attach_targets
from tests.workers.builders import fit_encoder, make_task

HORIZON = 2


@pytest.fixture
def task():
    return make_task(
        "forecast",
        inputs={"temperature": "number", "holiday": "boolean", "district": "category"},
        target_column="load",
        horizon=HORIZON,
        time_column="hour",
        group_column="substation",
    )


def long_format(lengths: dict[str, int], *, shuffle: bool = True) -> pa.Table:
    rows = [
        {
            "substation": series, "hour": f"2024-01-01T{hour:02d}:00:00", "load": 100 * index + hour,
            "temperature": 10.0 + hour, "holiday": hour % 2 == 0, "district": f"district {index}",
        }
        for index, (series, length) in enumerate(lengths.items())
        for hour in range(length)
    ]
    if shuffle:
        random.Random(3).shuffle(rows)  # windows must follow time, not row order
    return pa.Table.from_pylist(rows)


def encoder_for(task, **options):
    return build_time_series_encoder(task=task, options={"hidden_size": 8, **options})


def test_training_windows_slide_over_each_series_in_time_order(task):
    data = long_format({"north": 20, "south": 15})
    encoder = encoder_for(task, window=6, stride=3)
    fit_encoder(encoder, data)
    examples = encoder.featurizer.encode(data)
    assert len(examples) > data.num_rows / 3 / 2  # more than one example per series
    for series, length, base in (("north", 20, 0), ("south", 15, 100)):
        windows = [example for example in examples if example["series"] == series]
        last_hours = [int(example["origin"][11:13]) for example in windows]
        assert all(later - earlier == 3 for earlier, later in zip(last_hours, last_hours[1:]))
        assert last_hours[0] >= 6 - 1  # a full window of history
        assert last_hours[-1] == length - HORIZON - 1  # the most recent window is kept
        for example, hour in zip(windows, last_hours):
            assert example["target"] == [base + hour + step for step in range(1, HORIZON + 1)]
            assert len(example["sequence"]) == 6


def test_inference_gives_one_window_per_series_ending_at_its_last_row(task):
    data = long_format({"north": 20, "south": 15})
    encoder = encoder_for(task, window=6)
    fit_encoder(encoder, data)
    examples = encoder.featurizer.encode(data, inference=True)
    assert {(example["series"], example["origin"][11:13]) for example in examples} == {("north", "19"), ("south", "14")}
    assert all("target" not in example for example in examples)
    batch = encoder.featurizer.collate(examples)
    assert batch["sequence"].shape == (2, 6, encoder.featurizer.columns.numeric_width)
    assert encoder(**batch).shape == (2, 8)


def test_a_short_series_is_padded_with_missing_steps(task):
    data = long_format({"north": 5})
    encoder = encoder_for(task, window=6)
    fit_encoder(encoder, data)
    (example,) = encoder.featurizer.encode(data)
    history = 5 - HORIZON
    padding = example["sequence"][: 6 - history]
    values = len(encoder.featurizer.columns.numeric_columns)
    assert all(step[:values] == [0.0] * values and step[values:] == [1.0] * values for step in padding)
    assert all(step[values:] == [0.0] * values for step in example["sequence"][6 - history :])


def test_windows_whose_future_has_a_gap_are_left_out_of_training(task):
    gap_hour = 8
    data = long_format({"north": 14}, shuffle=False)
    loads = data.column("load").to_pylist()
    loads[gap_hour] = None
    data = data.set_column(data.schema.get_field_index("load"), "load", pa.array(loads, pa.float64()))
    encoder = encoder_for(task, window=4)
    fit_encoder(encoder, data)
    examples = encoder.featurizer.encode(data)
    labelled = attach_targets(examples, ForecastingHead(hidden_size=8, task=task))
    kept = {example["origin"] for example in labelled}
    dropped = {int(example["origin"][11:13]) for example in examples if example["origin"] not in kept}
    # A window ending at hour h forecasts hours h+1 .. h+HORIZON.
    assert dropped == {hour for hour in range(14) if hour < gap_hour <= hour + HORIZON}
    assert all(len(example["labels"]) == HORIZON for example in labelled)


def test_each_step_holds_values_indicators_and_category_ids(task):
    data = long_format({"north": 10, "south": 10})
    encoder = encoder_for(task, window=4)
    fit_encoder(encoder, data)
    featurizer = encoder.featurizer
    assert featurizer.columns.numeric_columns == ["load", "temperature", "holiday"]  # the target first
    assert featurizer.columns.categorical_columns == ["district"]
    examples = featurizer.encode(data, inference=True)
    for example in examples:
        holidays = [step[2] for step in example["sequence"]]
        assert len(set(holidays)) == 2  # booleans alternate hour by hour, standardised
        assert len({ids[0] for ids in example["categories"]}) == 1  # one district per series
    assert examples[0]["categories"][0] != examples[1]["categories"][0]
    batch = featurizer.collate(examples)
    assert batch["categories"].shape == (2, 4, 1)
    assert encoder(**batch).shape == (2, 8)
