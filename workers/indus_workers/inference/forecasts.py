"""Forecasting models: one forecast per series, from the latest rows of each series in the file.

A forecast model reads each series' last `window` steps and predicts the next `horizon`. The
file is long format (a row per series and time step) in any order, so no chunk on its own holds
a series' latest steps: the job keeps, while it streams, only the latest `window` rows of every
series seen so far (memory grows with the number of series, not of rows), and predicts once
the input is read. The output has one row per series: the series, the forecast origin (the time
of its last row) and the predictions, each a list over the horizon.
"""
import datetime

import pyarrow as pa

from indus_workers.backbones.time_series import WindowFeaturizer
from indus_workers.inference.outputs import prediction_columns

SERIES_COLUMN = "series"  # the output's series column when the task has a single series


class SeriesTails:
    """The latest `window` rows of each series, by time."""

    def __init__(self, featurizer: WindowFeaturizer):
        self.window = featurizer.window
        self.series_column = featurizer.series_column
        self.time_column = featurizer.time_column
        self.tails: pa.Table | None = None

    def add(self, table: pa.Table) -> None:
        combined = table if self.tails is None else pa.concat_tables([self.tails, table], promote_options="permissive")
        keys = ([self.series_column] if self.series_column else []) + [self.time_column]
        combined = combined.sort_by([(name, "ascending") for name in keys])
        series = combined.column(self.series_column).to_pylist() if self.series_column else [None] * combined.num_rows
        kept, start = [], 0
        for index in range(1, len(series) + 1):
            if index == len(series) or series[index] != series[start]:
                kept.extend(range(max(start, index - self.window), index))
                start = index
        self.tails = combined.take(pa.array(kept, type=pa.int64()))


def forecast_table(examples: list[dict], predictions: list[dict], series_name: str | None) -> pa.Table:
    """One row per series: the series, the forecast origin, the prediction columns."""
    columns = {
        series_name or SERIES_COLUMN: pa.array([example["series"] for example in examples]),
        "origin": pa.array([_origin_text(example["origin"]) for example in examples], type=pa.string()),
    }
    columns.update(prediction_columns(predictions))
    return pa.table(columns)


def _origin_text(origin: str) -> str:
    """Times reach the featurizer as seconds since the epoch (see conform): shown as ISO-8601."""
    try:
        return datetime.datetime.fromtimestamp(float(origin), tz=datetime.UTC).isoformat()
    except ValueError:
        return origin
