"""Turning per-example values into batch tensors; shared by every featurizer's collate."""
from itertools import chain

import numpy as np
import torch

#: The label a loss skips: special tokens, continuation sub-tokens and padding of token tags.
#: It is the default `ignore_index` of torch's cross-entropy loss.
IGNORE_INDEX = -100


def collate_labels(values: list) -> torch.Tensor:
    """Scalars stack; lists stack, padded with IGNORE_INDEX to the longest of the batch.

    Only token tags differ in length (one per sub-token); multi-hot vectors and forecast
    windows are all the same length, so padding never touches them. torch infers the dtype:
    integer ids become int64 for cross-entropy, floats become float32.
    """
    if values and isinstance(values[0], (list, tuple)):
        longest = max(len(value) for value in values)
        values = [list(value) + [IGNORE_INDEX] * (longest - len(value)) for value in values]
    return torch.tensor(values)


def pad_sequences(sequences: list[list[int]], pad_value: int, *, left: bool = False) -> torch.Tensor:
    """An int64 matrix of the sequences, padded with `pad_value` to the longest.

    One numpy fill and one masked write, not a tensor built from Python lists row by row as
    transformers' `tokenizer.pad` does: that took a quarter of the runtime's host time per
    batch, which a GPU waits on."""
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    longest = int(lengths.max()) if len(sequences) else 0
    positions = np.arange(longest)
    real = positions >= longest - lengths[:, None] if left else positions < lengths[:, None]
    matrix = np.full((len(sequences), longest), pad_value, dtype=np.int64)
    matrix[real] = np.fromiter(chain.from_iterable(sequences), dtype=np.int64, count=int(lengths.sum()))
    return torch.from_numpy(matrix)


def padded_ragged(
    values: np.ndarray, offsets: np.ndarray, positions: np.ndarray, pad_value: int, *, left: bool = False,
    pin_memory: bool = False,
) -> tuple[torch.Tensor, np.ndarray]:
    """Rows `positions` of a ragged array (Arrow's layout: row i is values[offsets[i]:offsets[i+1]])
    as an int64 matrix padded with `pad_value` to the longest of them, and the mask of the real
    entries. Numpy gathers, no Python loop over rows; with `pin_memory` the matrix is filled in
    page-locked memory, which a CUDA copy reads without staging it first."""
    starts = offsets[positions]
    lengths = offsets[positions + 1] - starts
    longest = int(lengths.max()) if len(positions) else 0
    columns = np.arange(longest)
    shift = longest - lengths[:, None] if left else 0
    real = columns >= shift if left else columns < lengths[:, None]
    matrix = torch.empty((len(positions), longest), dtype=torch.int64, pin_memory=pin_memory)
    filled = matrix.numpy()
    filled.fill(pad_value)
    filled[real] = values[(starts[:, None] + columns - shift)[real]]
    return matrix, real
