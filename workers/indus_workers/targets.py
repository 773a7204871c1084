"""Targets: label vocabularies found in the data, encoded targets on examples, and the
alignment between words and sub-tokens in both directions.

The featurizer decides which raw target belongs to which example (a row's value, or the next
values after a time-series window) and leaves it under `target`; the head encodes it here into
`labels`, which the featurizer's `collate` batches and `IndusModel.forward` hands to the loss.
"""
from dataclasses import replace

import pyarrow as pa
import pyarrow.compute as pc

from indus.plugins.contract import TargetKind
from indus_workers.batching import IGNORE_INDEX
from indus_workers.heads.base import TaskHead
from indus_workers.task import ModelTask

# Target kinds whose labels can be read off the data; ordinal levels cannot (their order is
# knowledge the plugin must declare).
KINDS_WITH_LABELS_IN_DATA = frozenset({TargetKind.CLASSES, TargetKind.MULTI_LABEL, TargetKind.TOKEN_TAGS, TargetKind.RANKING})


def complete_labels(task: ModelTask, table: pa.Table) -> ModelTask:
    """The task, or where the plugin left its target labels empty (a ranking catalogue, say) a
    copy with the labels found in the training rows, sorted for a stable order."""
    target = task.target
    if target.labels or target.kind not in KINDS_WITH_LABELS_IN_DATA:
        return task
    column = table.column(target.column).drop_null()
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        column = pc.list_flatten(column)
    labels = sorted({str(value) for value in column.unique().to_pylist() if value is not None})
    if not labels:
        raise ValueError(f"column {target.column!r} has no target values to learn labels from")
    return replace(task, target=replace(target, labels=tuple(labels)))


def inverse_frequency_weights(task: ModelTask, table: pa.Table) -> tuple[float, ...]:
    """One loss weight per label, in label order, for `task.class_weights`: rows / (labels x
    rows of the label), so that every class weighs as much in total. Fit on the training rows."""
    labels = task.target.labels
    counts = dict.fromkeys(labels, 0)
    for value in table.column(task.target.column).to_pylist():
        if value is not None and str(value) in counts:
            counts[str(value)] += 1
    rows = sum(counts.values())
    # A label with no training row keeps weight 1: there is nothing of it to over-weigh.
    return tuple(rows / (len(labels) * counts[label]) if counts[label] else 1.0 for label in labels)


def attach_targets(examples: list[dict], head: TaskHead) -> list[dict]:
    """The examples that have a target, each with `labels` encoded by the head (and without the
    raw `target`). Rows without a target are left out, as dataset validation warns."""
    labelled = []
    for example in examples:
        example = dict(example)
        value = example.pop("target", None)
        if value is None:
            continue
        labels = head.encode_target(value)
        if head.token_level:
            labels = align_to_tokens(labels, example["word_ids"])
        labelled.append({**example, "labels": labels})
    return labelled


def align_to_tokens(word_labels: list[int], word_ids: list[int | None]) -> list[int]:
    """One label per sub-token: a word's label on its first sub-token; IGNORE_INDEX on special
    tokens ([CLS], [SEP]) and on continuation sub-tokens, so each word is scored once."""
    aligned, previous = [], None
    for word in word_ids:
        if word is None or word == previous:
            aligned.append(IGNORE_INDEX)
        elif word >= len(word_labels):
            raise ValueError(f"a token-tag target has {len(word_labels)} tags but the row has more words")
        else:
            aligned.append(word_labels[word])
        previous = word
    return aligned


def first_subtoken_positions(word_ids: list[int | None]) -> list[int]:
    positions, previous = [], None
    for position, word in enumerate(word_ids):
        if word is not None and word != previous:
            positions.append(position)
        previous = word
    return positions


def words_from_tokens(row: dict, word_ids: list[int | None]) -> dict:
    """A token-level prediction row (lists over the padded sub-tokens) cut down to one entry
    per word: the entry of the word's first sub-token."""
    positions = first_subtoken_positions(word_ids)
    return {key: [value[position] for position in positions] if isinstance(value, list) else value for key, value in row.items()}
