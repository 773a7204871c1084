"""Embeddings for the categorical columns of the tabular and time-series encoders."""
import torch
from torch import nn

MAX_EMBEDDING_DIM = 16


def embedding_dim(vocabulary_size: int) -> int:
    """Small vocabularies need few dimensions; a cap keeps identifier columns affordable."""
    return max(2, min(MAX_EMBEDDING_DIM, (vocabulary_size + 1) // 2))


class CategoryEmbeddings(nn.Module):
    """One embedding table per column; ids (..., columns) -> concatenated vectors (..., width)."""

    def __init__(self, vocabulary_sizes: list[int]):
        super().__init__()
        self.tables = nn.ModuleList(nn.Embedding(size, embedding_dim(size)) for size in vocabulary_sizes)
        self.width = sum(embedding_dim(size) for size in vocabulary_sizes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        vectors = [table(ids[..., index]) for index, table in enumerate(self.tables)]
        if not vectors:
            return ids.new_zeros((*ids.shape[:-1], 0), dtype=torch.float32)
        return torch.cat(vectors, dim=-1)


class PiecewiseLinearNumbers(nn.Module):
    """Numbers as their position in each of their training-quantile bins (Gorishniy et al.,
    "On Embeddings for Numerical Features in Tabular Deep Learning", 2022): a value below a
    bin reads 0, above it 1, inside it the share of the bin it has passed. An MLP over these
    learns a curve per column (a threshold, a saturation) as easily as a slope, which plain
    standardised inputs make it approximate with many units: on small tables it then falls
    behind gradient-boosted trees, which split on the same quantiles.

    `edges` holds each column's sorted bin edges, in the unit the encoder receives (standardised
    values); a bin of no width (edges repeat where a value is common) reads 1 above its edge and
    0 elsewhere. (..., columns) -> (..., width)."""

    def __init__(self, edges: list[list[float]]):
        super().__init__()
        column, lower, upper = [], [], []
        for index, column_edges in enumerate(edges):
            for low, high in zip(column_edges[:-1], column_edges[1:]):
                column.append(index)
                lower.append(low)
                upper.append(high)
        self.width = len(column)
        self.register_buffer("column", torch.tensor(column, dtype=torch.long), persistent=False)
        self.register_buffer("lower", torch.tensor(lower, dtype=torch.float32), persistent=False)
        self.register_buffer("span", torch.tensor(upper, dtype=torch.float32) - self.lower, persistent=False)

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        if not self.width:
            return values.new_zeros((*values.shape[:-1], 0))
        passed = values[..., self.column] - self.lower
        inside = passed / torch.where(self.span > 0, self.span, torch.ones_like(self.span))
        return torch.where(self.span > 0, inside, (passed > 0).to(values.dtype)).clamp(0.0, 1.0)
