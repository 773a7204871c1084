"""The time-series encoder: a GRU over a window of past steps.

Data comes in long format: one row per series and time step. The featurizer groups rows by the
target's `group_column` (one series when there is none), orders each series by `time_column`,
and turns it into windows. Each step of a window holds the standardised target and the numeric
and boolean inputs (a promotion, a holiday, rain), their missing-indicators, and the ids of the
categorical inputs (store, road type), which the encoder embeds.

So, unlike other featurizers, `encode` does not return one example per row:
- for training and evaluation, it slides over each series with `stride` and returns every window
  whose next `horizon` values are known: those values are the window's `target`. Window ends
  are counted back from the end of each series, so the most recent window is always one;
  a series too short for a full window gives one window whose missing early steps are
  padding (values 0, indicators 1, unknown categories), as long as one step of history remains.
- for inference, it returns one window per series, ending at its last row: the forecast origin.
Each example names its `series` and `origin` (the time of its last step) for output files.
"""
import numpy as np
import pyarrow as pa
import torch
from torch import nn

from indus.plugins.contract import Task
from indus_workers.backbones.base import Encoder, Featurizer
from indus_workers.backbones.columns import (
    DEFAULT_MAX_CATEGORIES,
    NUMERIC_TYPES,
    UNKNOWN_ID,
    ColumnCodec,
    column_as_floats,
    input_names,
)
from indus_workers.backbones.embeddings import CategoryEmbeddings

DEFAULT_WINDOW = 24
DEFAULT_STRIDE = 1
DEFAULT_HIDDEN_SIZE = 64
# Booleans that change over time (on promotion, raining) are values of a step, not categories.
STEP_VALUE_TYPES = NUMERIC_TYPES | {"boolean"}
STEP_CATEGORY_TYPES = frozenset({"category", "identifier"})


class WindowFeaturizer(Featurizer):
    def __init__(self, task: Task, *, window: int, stride: int, max_categories: int = DEFAULT_MAX_CATEGORIES):
        target = task.target
        if window < 1 or stride < 1:
            raise ValueError(f"window ({window}) and stride ({stride}) must be at least 1")
        self.target_column = target.column
        self.series_column = target.group_column
        self.time_column = target.time_column
        self.horizon = target.horizon
        self.window = window
        self.stride = stride
        keys = {self.target_column, self.series_column, self.time_column}
        self.columns = ColumnCodec(
            # The target's own history comes first: it is what a forecast leans on most.
            [self.target_column] + [name for name in input_names(task, STEP_VALUE_TYPES) if name not in keys],
            [name for name in input_names(task, STEP_CATEGORY_TYPES) if name not in keys],
            max_categories=max_categories,
        )

    def fit(self, table: pa.Table) -> None:
        self.columns.fit(table)

    def encode(self, table: pa.Table, *, inference: bool = False) -> list[dict]:
        sort_keys = [self.series_column, self.time_column] if self.series_column else [self.time_column]
        table = table.sort_by([(name, "ascending") for name in sort_keys])
        values = self.columns.numbers(table)
        categories = self.columns.categories(table)
        targets = column_as_floats(table.column(self.target_column))
        times = table.column(self.time_column).to_pylist()
        series_ids = table.column(self.series_column).to_pylist() if self.series_column else [None] * table.num_rows
        # A padding step has no values (all missing) and unknown categories.
        padding_values = np.repeat(np.array([0.0, 1.0], dtype=np.float32), len(self.columns.numeric_columns))
        padding_categories = np.full(len(self.columns.categorical_columns), UNKNOWN_ID, dtype=np.int64)
        examples = []
        for series, start, stop in _runs(series_ids):
            for end in [stop] if inference else self._window_ends(start, stop):
                example = {
                    "sequence": self._history(values, start, end, padding_values),
                    "categories": self._history(categories, start, end, padding_categories),
                    "series": series,
                    "origin": str(times[end - 1]),
                }
                if not inference:
                    future = targets[end : end + self.horizon]
                    # A window whose future has a gap cannot be scored; None leaves it out of training.
                    example["target"] = None if np.isnan(future).any() else future.tolist()
                examples.append(example)
        return examples

    def _window_ends(self, start: int, stop: int) -> list[int]:
        """Exclusive ends of the windows of rows [start, stop) that have `horizon` known steps
        after them, stepping back by `stride` from the latest one."""
        latest = stop - self.horizon
        earliest = max(start + 1, min(start + self.window, latest))  # one step of history at least
        return list(range(latest, earliest - 1, -self.stride))[::-1]

    def _history(self, steps: np.ndarray, start: int, end: int, padding_step: np.ndarray) -> list[list]:
        """The `window` steps before `end`, left-padded where the series starts later."""
        history = steps[max(start, end - self.window) : end]
        padding = np.tile(padding_step, (self.window - len(history), 1))
        return np.concatenate([padding, history]).tolist()

    def collate_inputs(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        # Every window has the same number of steps, so stacking is all the padding there is.
        return {
            "sequence": torch.tensor([example["sequence"] for example in examples], dtype=torch.float32),
            "categories": torch.tensor([example["categories"] for example in examples], dtype=torch.long)
            .reshape(len(examples), self.window, len(self.columns.categorical_columns)),
        }

    def state_dict(self) -> dict:
        return self.columns.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.columns.load_state_dict(state)


def _runs(keys: list) -> list[tuple[object, int, int]]:
    """(key, start, stop) of each run of equal keys in an already sorted list."""
    runs, start = [], 0
    for index in range(1, len(keys) + 1):
        if index == len(keys) or keys[index] != keys[start]:
            runs.append((keys[start], start, index))
            start = index
    return runs


class TimeSeriesEncoder(Encoder):
    featurizer: WindowFeaturizer

    def __init__(self, *, featurizer: WindowFeaturizer, hidden_size: int, layers: int, options: dict):
        super().__init__(featurizer=featurizer, hidden_size=hidden_size, options=options)
        self.layers = layers
        self.embeddings = CategoryEmbeddings([])
        self.gru = nn.Identity()

    def build_fitted_layers(self) -> None:
        columns = self.featurizer.columns
        self.embeddings = CategoryEmbeddings(columns.vocabulary_sizes())
        step_width = columns.numeric_width + self.embeddings.width
        self.gru = nn.GRU(step_width, self.hidden_size, num_layers=self.layers, batch_first=True)

    def forward(self, sequence: torch.Tensor, categories: torch.Tensor, **other_inputs: torch.Tensor) -> torch.Tensor:
        _, last_hidden = self.gru(torch.cat([sequence, self.embeddings(categories)], dim=-1))
        return last_hidden[-1]  # the top layer's state after the window's last step


def build_time_series_encoder(*, task: Task, options: dict | None = None) -> TimeSeriesEncoder:
    """Options: window (24 steps), stride (1), hidden_size (64), layers (1), max_categories (10,000)."""
    options = dict(options or {})
    featurizer = WindowFeaturizer(
        task,
        window=options.get("window", DEFAULT_WINDOW),
        stride=options.get("stride", DEFAULT_STRIDE),
        max_categories=options.get("max_categories", DEFAULT_MAX_CATEGORIES),
    )
    return TimeSeriesEncoder(
        featurizer=featurizer,
        hidden_size=options.get("hidden_size", DEFAULT_HIDDEN_SIZE),
        layers=options.get("layers", 1),
        options=options,
    )
