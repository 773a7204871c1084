"""The tabular encoder: standardised numbers and embedded categories through a small MLP.

Numeric columns are standardised and categorical, boolean and identifier columns looked up in
vocabularies, all fitted on the training split (see `columns.ColumnCodec`). Each number is also
read piecewise-linearly over quantile bins of its training values (`PiecewiseLinearNumbers`),
whose edges the featurizer fits and saves with its state. Embedding sizes and bins follow what
was fitted, so those layers are built once the featurizer is fitted (or its saved state loaded).
"""
import numpy as np
import pyarrow as pa
import torch
from torch import nn

from indus.plugins.contract import TargetKind, Task
from indus_workers.backbones.base import Encoder, RowFeaturizer
from indus_workers.backbones.columns import (
    CATEGORICAL_TYPES,
    DEFAULT_MAX_CATEGORIES,
    NUMERIC_TYPES,
    ColumnCodec,
    input_names,
)
from indus_workers.backbones.embeddings import CategoryEmbeddings, PiecewiseLinearNumbers

DEFAULT_HIDDEN_SIZE = 64
# Quantile bins per numeric column. Eight let a small table's MLP follow the curves that trees
# find without fitting its noise; 0 reads the standardised numbers alone.
DEFAULT_NUMERIC_BINS = 8


def quantile_edges(values: np.ndarray, bins: int) -> list[float]:
    """The distinct quantile edges of the present values (0, the mean, where none is), padded
    to `bins + 1` with the highest: a column of few values (a flag, a count) gets fewer real
    bins, and empty ones above its largest value that no training row reaches. The encoder's
    width then depends on the columns alone, so a warm start on new data keeps its first layer."""
    if not bins:
        return []
    present = values[~np.isnan(values)]
    edges = np.unique(np.quantile(present, np.linspace(0.0, 1.0, bins + 1))) if present.size else np.zeros(1)
    return [float(edge) for edge in edges] + [float(edges[-1])] * (bins + 1 - edges.size)


class TabularFeaturizer(RowFeaturizer):
    def __init__(self, task: Task, *, max_categories: int = DEFAULT_MAX_CATEGORIES,
                 numeric_bins: int = DEFAULT_NUMERIC_BINS):
        super().__init__(task)
        categorical = input_names(task, CATEGORICAL_TYPES)
        target = task.target
        # A ranking model scores items for a user or a query: who asks is a feature even when
        # the plugin listed the column only as the target's group.
        if target.kind == TargetKind.RANKING and target.group_column not in categorical:
            categorical.append(target.group_column)
        self.columns = ColumnCodec(input_names(task, NUMERIC_TYPES), categorical, max_categories=max_categories)
        self.numeric_bins = numeric_bins
        # Per numeric column, in the standardised unit the encoder receives. A model saved before
        # bins existed has none, and reads its numbers as it was trained to.
        self.bin_edges: list[list[float]] = []

    def fit(self, table: pa.Table) -> None:
        self.columns.fit(table)
        columns = len(self.columns.numeric_columns)
        numbers = self.columns.numbers(table)
        standardised = np.where(numbers[:, columns:] > 0, np.nan, numbers[:, :columns])  # missing ones left out
        self.bin_edges = [quantile_edges(standardised[:, index], self.numeric_bins) for index in range(columns)]

    def encode_rows(self, table: pa.Table) -> list[dict]:
        numbers = self.columns.numbers(table).tolist()
        categories = self.columns.categories(table).tolist()
        return [{"numeric": values, "categories": ids} for values, ids in zip(numbers, categories)]

    def collate_inputs(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        rows = len(examples)
        # reshape: with no numeric or no categorical columns, an empty list per row still
        # makes a (rows, 0) tensor.
        return {
            "numeric": torch.tensor([example["numeric"] for example in examples], dtype=torch.float32)
            .reshape(rows, self.columns.numeric_width),
            "categories": torch.tensor([example["categories"] for example in examples], dtype=torch.long)
            .reshape(rows, len(self.columns.categorical_columns)),
        }

    def state_dict(self) -> dict:
        return {**self.columns.state_dict(), "bin_edges": self.bin_edges}

    def load_state_dict(self, state: dict) -> None:
        self.columns.load_state_dict(state)
        self.bin_edges = state.get("bin_edges", [])


class TabularEncoder(Encoder):
    featurizer: TabularFeaturizer

    def __init__(self, *, featurizer: TabularFeaturizer, hidden_size: int, dropout: float, options: dict):
        super().__init__(featurizer=featurizer, hidden_size=hidden_size, options=options)
        self.dropout = dropout
        self.embeddings = CategoryEmbeddings([])
        self.bins = PiecewiseLinearNumbers([])
        self.mlp = nn.Identity()

    def build_fitted_layers(self) -> None:
        columns = self.featurizer.columns
        self.embeddings = CategoryEmbeddings(columns.vocabulary_sizes())
        self.bins = PiecewiseLinearNumbers(self.featurizer.bin_edges)
        self.mlp = nn.Sequential(
            nn.Linear(columns.numeric_width + self.bins.width + self.embeddings.width, self.hidden_size),
            nn.GELU(),
            nn.Dropout(self.dropout),
            nn.Linear(self.hidden_size, self.hidden_size),
            nn.GELU(),
        )

    def forward(self, numeric: torch.Tensor, categories: torch.Tensor, **other_inputs: torch.Tensor) -> torch.Tensor:
        values = numeric[..., : len(self.featurizer.columns.numeric_columns)]  # not the missing-indicators
        return self.mlp(torch.cat([numeric, self.bins(values), self.embeddings(categories)], dim=-1))


def build_tabular_encoder(*, task: Task, options: dict | None = None) -> TabularEncoder:
    """Options: hidden_size (64), dropout (0.1), max_categories per column (10,000), numeric_bins
    per numeric column (8; 0 for none)."""
    options = dict(options or {})
    featurizer = TabularFeaturizer(task, max_categories=options.get("max_categories", DEFAULT_MAX_CATEGORIES),
                                   numeric_bins=options.get("numeric_bins", DEFAULT_NUMERIC_BINS))
    return TabularEncoder(
        featurizer=featurizer,
        hidden_size=options.get("hidden_size", DEFAULT_HIDDEN_SIZE),
        dropout=options.get("dropout", 0.1),
        options=options,
    )
