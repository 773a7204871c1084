"""Reading task columns out of pyarrow tables as arrays the encoders can use.

Shared by the tabular and time-series featurizers. Numeric columns are standardised with a mean
and a spread fitted on the training split, and a missing value becomes 0 (the training mean)
plus a missing-indicator, so the model can tell "average" from "unknown". Categorical columns
are looked up in a vocabulary fitted on the training split; id 0 is the bucket for values never
seen in training and for missing ones, so new stores or products still encode.
"""
import math
from collections import Counter

import numpy as np
import pyarrow as pa

from indus.plugins.contract import Task

NUMERIC_TYPES = frozenset({"number", "integer", "datetime"})
CATEGORICAL_TYPES = frozenset({"category", "boolean", "identifier"})
UNKNOWN_ID = 0
# Identifier columns can hold millions of values; the rarest share the unknown bucket.
DEFAULT_MAX_CATEGORIES = 10_000


def input_names(task: Task, types: frozenset[str]) -> list[str]:
    return [column.name for column in task.inputs if column.type in types]


def column_as_floats(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Float64 values with NaN where missing. Timestamps and dates (or ISO-8601 text) become
    seconds since the epoch; booleans become 0 and 1."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column = column.cast(pa.timestamp("s"))
    if pa.types.is_date(column.type):
        column = column.cast(pa.timestamp("s"))
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("s")).cast(pa.int64())
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def fit_scale(values: np.ndarray) -> dict[str, float]:
    """Mean and standard deviation of the present values; a constant or empty column gets a
    spread of 1 so that standardising never divides by zero."""
    present = values[~np.isnan(values)]
    mean = float(present.mean()) if present.size else 0.0
    std = float(present.std()) if present.size else 0.0
    return {"mean": mean, "std": std if std > 0 and math.isfinite(std) else 1.0}


def fit_vocabulary(values: list, *, limit: int) -> list[str]:
    """The `limit` most frequent values, as text, sorted for a stable order."""
    counts = Counter(str(value) for value in values if value is not None)
    return sorted(value for value, _ in counts.most_common(limit))


def category_ids(values: list, vocabulary: list[str]) -> list[int]:
    ids = {value: index + 1 for index, value in enumerate(vocabulary)}
    return [UNKNOWN_ID if value is None else ids.get(str(value), UNKNOWN_ID) for value in values]


class ColumnCodec:
    """Numeric and categorical columns of a table as arrays, with what it learned from the
    training rows kept as JSON-ready state."""

    def __init__(self, numeric_columns: list[str], categorical_columns: list[str], *, max_categories: int):
        self.numeric_columns = numeric_columns
        self.categorical_columns = categorical_columns
        self.max_categories = max_categories
        self.scales: dict[str, dict[str, float]] = {}
        self.vocabularies: dict[str, list[str]] = {}

    @property
    def numeric_width(self) -> int:
        return 2 * len(self.numeric_columns)  # values, then missing-indicators

    def vocabulary_sizes(self) -> list[int]:
        return [len(self.vocabularies[name]) + 1 for name in self.categorical_columns]  # + unknown

    def fit(self, table: pa.Table) -> None:
        self.scales = {name: fit_scale(column_as_floats(table.column(name))) for name in self.numeric_columns}
        self.vocabularies = {
            name: fit_vocabulary(table.column(name).to_pylist(), limit=self.max_categories)
            for name in self.categorical_columns
        }

    def check_fitted(self) -> None:
        if set(self.scales) != set(self.numeric_columns) or set(self.vocabularies) != set(self.categorical_columns):
            raise RuntimeError("the featurizer is not fitted: call fit() on the training rows first")

    def numbers(self, table: pa.Table) -> np.ndarray:
        """(rows, numeric_width) float32: standardised values (missing -> 0), then indicators."""
        self.check_fitted()
        values = np.zeros((table.num_rows, len(self.numeric_columns)))
        for index, name in enumerate(self.numeric_columns):
            scale = self.scales[name]
            values[:, index] = (column_as_floats(table.column(name)) - scale["mean"]) / scale["std"]
        missing = np.isnan(values)
        return np.concatenate([np.where(missing, 0.0, values), missing], axis=1).astype(np.float32)

    def categories(self, table: pa.Table) -> np.ndarray:
        """(rows, categorical columns) int64 ids."""
        self.check_fitted()
        ids = np.full((table.num_rows, len(self.categorical_columns)), UNKNOWN_ID, dtype=np.int64)
        for index, name in enumerate(self.categorical_columns):
            ids[:, index] = category_ids(table.column(name).to_pylist(), self.vocabularies[name])
        return ids

    def state_dict(self) -> dict:
        return {"scales": self.scales, "vocabularies": self.vocabularies}

    def load_state_dict(self, state: dict) -> None:
        self.scales = state["scales"]
        self.vocabularies = state["vocabularies"]
