"""Turning per-example labels into one batch tensor; shared by every featurizer's collate."""
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
