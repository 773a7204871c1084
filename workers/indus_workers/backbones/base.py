"""The contract every backbone fulfils, built-in or from a plugin.

A backbone factory is called as `factory(task=..., options=...)` and returns an `Encoder`:
an `nn.Module` with a `featurizer` attribute. The featurizer turns dataset rows (pyarrow) into
unpadded examples and collates a list of them into a padded batch; the encoder turns a batch
into features, (batch, hidden) or, for token-level heads, (batch, tokens, hidden).

Featurizers are fitted on the training split only and saved as JSON, never pickled.

Lifecycle, as the runtime drives it:
    encoder = factory(task=task, options=options)
    encoder.featurizer.fit(train_table)     # or .load_state_dict(saved) when loading or warm-starting
    encoder.build_fitted_layers()           # IndusModel(encoder, head) calls it
    examples = encoder.featurizer.encode(table)   # each with its raw `target`
    batch = encoder.featurizer.collate(examples)  # tensors, plus `labels` when examples have them
    features = encoder(**batch)

Options may hold `artifact_dir`: the folder a saved model is being loaded from. Paths an encoder
returned from `save_files` are relative to it.
"""
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import torch
from torch import nn

from indus.plugins.contract import Task
from indus_workers.batching import collate_labels


class Featurizer:
    def fit(self, table: pa.Table) -> None:
        """Learn what the encoding needs from the training rows (vocabularies, scales)."""

    def encode(self, table: pa.Table, *, inference: bool = False) -> list[dict[str, Any]]:
        """Examples from rows: lists of ids or floats, unpadded. `length` is set for text
        examples so that batches can be grouped by length.

        Unless `inference`, each example carries its raw target under `target` (None where the
        row has none) for `indus_workers.targets.attach_targets` to encode. Examples are usually
        one per row, in row order; a featurizer may return more (time-series windows), and
        then says in its examples which series and time each one stands for.
        """
        raise NotImplementedError

    def collate(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Pad to the longest example of this batch (dynamic padding) and stack; `labels` too."""
        batch = self.collate_inputs(examples)
        if "labels" in examples[0]:
            batch["labels"] = collate_labels([example["labels"] for example in examples])
        return batch

    def collate_inputs(self, examples: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """The model inputs of a batch, padded to its longest example."""
        raise NotImplementedError

    def encode_for_inference(self, table: pa.Table) -> "EncodedRows":
        """The rows' inputs as batch inference reads them: their lengths, and any batch of them
        collated. This default keeps `encode`'s examples; a featurizer whose examples are
        token ids keeps them as arrays instead (see `TextFeaturizer`)."""
        return ExampleRows(self, self.encode(table, inference=True))

    def state_dict(self) -> dict:
        """JSON-serialisable state, saved beside the weights."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class EncodedRows:
    """Encoded rows that the batch-inference runtime cuts into batches."""

    #: One example per row, in row order, or None where the rows are held as arrays only.
    examples: list[dict[str, Any]] | None = None

    def __len__(self) -> int:
        raise NotImplementedError

    @property
    def lengths(self) -> np.ndarray | None:
        """Each row's token count (int64), for batching by length; None when rows have none."""
        raise NotImplementedError

    def collate(self, positions: np.ndarray, *, pin_memory: bool = False) -> dict[str, torch.Tensor]:
        """The model inputs of the rows at `positions`, padded to the longest of them; with
        `pin_memory`, in page-locked host memory for a non-blocking copy to a GPU."""
        raise NotImplementedError


def example_lengths(examples: list[dict[str, Any]]) -> np.ndarray | None:
    """The examples' `length`s (int64), or None for examples without one (tabular rows)."""
    if not examples or "length" not in examples[0]:
        return None
    return np.fromiter((example["length"] for example in examples), np.int64, len(examples))


class ExampleRows(EncodedRows):
    """Rows as `Featurizer.encode`'s examples, collated by the featurizer."""

    def __init__(self, featurizer: Featurizer, examples: list[dict[str, Any]]):
        self.featurizer = featurizer
        self.examples = examples
        self._lengths = example_lengths(examples)

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def lengths(self) -> np.ndarray | None:
        return self._lengths

    def collate(self, positions: np.ndarray, *, pin_memory: bool = False) -> dict[str, torch.Tensor]:
        batch = self.featurizer.collate([self.examples[position] for position in positions])
        return {name: tensor.pin_memory() for name, tensor in batch.items()} if pin_memory else batch


class RowFeaturizer(Featurizer):
    """A featurizer with exactly one example per row: it reads each row's target for it."""

    def __init__(self, task: Task):
        self.target_column = task.target.column

    def encode(self, table: pa.Table, *, inference: bool = False) -> list[dict[str, Any]]:
        examples = self.encode_rows(table)
        if not inference:
            targets = (
                table.column(self.target_column).to_pylist()
                if self.target_column in table.column_names
                else [None] * table.num_rows
            )
            for example, target in zip(examples, targets, strict=True):
                example["target"] = target
        return examples

    def encode_rows(self, table: pa.Table) -> list[dict[str, Any]]:
        """The inputs of each row, in row order."""
        raise NotImplementedError


class Encoder(nn.Module):
    hidden_size: int
    featurizer: Featurizer

    def __init__(self, *, featurizer: Featurizer, hidden_size: int, options: dict | None = None):
        super().__init__()
        self.featurizer = featurizer
        self.hidden_size = hidden_size
        self.options = {key: value for key, value in (options or {}).items() if key != "artifact_dir"}

    def build_fitted_layers(self) -> None:
        """Create the layers whose sizes come from the fitted featurizer (embeddings sized by
        a vocabulary), freshly initialised. Called once the featurizer is fitted or restored,
        before weights are loaded or an optimiser is made. Most encoders know their sizes up
        front and have none."""

    def save_files(self, folder: Path) -> dict:
        """Write what rebuilds this architecture besides the weights (a tokenizer, a model
        config) under `folder`; return the options that make the factory rebuild it from there,
        with paths relative to `folder`. The caller saves the weights."""
        return dict(self.options)

    def hold_weights_in(self, dtype: torch.dtype) -> None:
        """For a model loaded only to predict under autocast to `dtype`: keep in `dtype` the
        weights autocast would otherwise cast again at every forward. Features still come out
        in float32, for the head. Most encoders keep float32: a tabular encoder's bin edges
        and scales must not round."""

    def forward(self, **batch: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError
