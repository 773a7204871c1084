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
