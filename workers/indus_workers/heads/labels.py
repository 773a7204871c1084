"""Label names <-> ids for the heads that predict labels, and the layer that scores them."""
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import torch
from torch import nn

DROPOUT = 0.1
SHOWN_LABELS = 10  # an error names at most this many expected labels: a catalogue can be huge


class LabelIndex:
    def __init__(self, names: Sequence[str], *, what: str = "label"):
        self.names = [str(name) for name in names]
        self.what = what
        self._ids = {name: index for index, name in enumerate(self.names)}

    def __len__(self) -> int:
        return len(self.names)

    def id_of(self, value) -> int:
        """The id of a stored target value. Integers and booleans match their text, as the
        platform's dataset validation compares them."""
        try:
            return self._ids[str(value)]
        except KeyError:
            raise ValueError(f"{self.what} {value!r} is not one of {self._shown()}") from None

    def ids_of(self, values, *, what: str) -> list[int]:
        """The ids of a list of values (the labels of one row, the tags of one sentence)."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise ValueError(f"{what} must be a list of {self.what}s, got {values!r}")
        return [self.id_of(value) for value in values]

    def names_of(self, ids: Iterable[int]) -> list[str]:
        return [self.names[index] for index in ids]

    def _shown(self) -> str:
        shown = ", ".join(repr(name) for name in self.names[:SHOWN_LABELS])
        more = len(self.names) - SHOWN_LABELS
        return f"[{shown}{f' and {more} more' if more > 0 else ''}]"


def linear_scorer(hidden_size: int, outputs: int) -> nn.Module:
    return nn.Sequential(nn.Dropout(DROPOUT), nn.Linear(hidden_size, outputs))


def probabilities_by_label(names: Sequence[str], probabilities: Sequence[float]) -> dict[str, float]:
    """One row's probabilities by label name; decoders pass rows of one `tolist()` per batch,
    which is much cheaper than a conversion per row."""
    return dict(zip(names, probabilities, strict=True))


def label_columns(names: Sequence[str], ids: torch.Tensor, probabilities: torch.Tensor) -> tuple[pa.Array, dict[str, pa.Array]]:
    """A batch's chosen label names and each label's probabilities, as columns. float64, as
    `decode`'s Python floats are: widening float32 is exact, so the values are the same."""
    by_label = probabilities.numpy().T.astype(np.float64)  # one contiguous row per label
    chosen = pa.array(list(names), pa.string()).take(pa.array(ids.numpy()))
    return chosen, {name: pa.array(values) for name, values in zip(names, by_label, strict=True)}
