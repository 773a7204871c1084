"""Checking a dataset against a task's contract, with messages that name the column.

It runs in the control plane (pyarrow only) before any worker time is spent: on upload
against a chosen task, and when a job is submitted.
"""
from collections import Counter
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from indus.plugins.contract import ColumnType, Task, TargetKind

ERROR = "error"
WARNING = "warning"
SHOWN_VALUES = 5


@dataclass(frozen=True)
class Problem:
    column: str | None  # None for the dataset as a whole
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        return self.message


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _is_number(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)


def _is_list_of_text(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) or pa.types.is_large_list(t)) and _is_text(t.value_type)


def _is_key(t: pa.DataType) -> bool:
    return _is_text(t) or pa.types.is_integer(t)


def _is_label(t: pa.DataType) -> bool:
    return _is_key(t) or pa.types.is_boolean(t)


def _is_time(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t) or pa.types.is_date(t) or _is_text(t)


# For each kind of column: the arrow types that can hold it, and how to say so.
COLUMN_TYPES = {
    ColumnType.TEXT: (_is_text, "text"),
    ColumnType.CATEGORY: (_is_label, "categories (text, integers or booleans)"),
    ColumnType.NUMBER: (_is_number, "numbers"),
    ColumnType.INTEGER: (pa.types.is_integer, "integers"),
    ColumnType.BOOLEAN: (lambda t: pa.types.is_boolean(t) or pa.types.is_integer(t), "booleans"),
    ColumnType.DATETIME: (_is_time, "timestamps or dates"),
    ColumnType.TOKENS: (_is_list_of_text, "lists of words"),
    ColumnType.IDENTIFIER: (_is_key, "identifiers (text or integers)"),
}
TARGET_TYPES = {
    TargetKind.CLASSES: (_is_label, "labels (text, integers or booleans)"),
    TargetKind.ORDINAL: (_is_label, "levels (text or integers)"),
    TargetKind.MULTI_LABEL: (_is_list_of_text, "lists of labels"),
    TargetKind.REGRESSION: (_is_number, "numbers"),
    TargetKind.QUANTILES: (_is_number, "numbers"),
    TargetKind.FORECAST: (_is_number, "numbers"),
    TargetKind.TOKEN_TAGS: (_is_list_of_text, "lists of tags"),
    TargetKind.RANKING: (_is_key, "item identifiers (text or integers)"),
}


def validate_table(task: Task, table: pa.Table) -> list[Problem]:
    """Every problem that would make the task fail or mislead on this table."""
    problems = []
    target = task.target
    expected = [(c.name, *COLUMN_TYPES[c.type], c.required) for c in task.columns]
    expected.append((target.column, *TARGET_TYPES[target.kind], True))
    usable = set()
    for name, accepts, described, required in expected:
        if name not in table.column_names:
            if required:
                problems.append(Problem(name, f"column {name!r} is missing; the task needs it as {described}"))
            continue
        arrow_type = table.schema.field(name).type
        if not accepts(arrow_type):
            problems.append(Problem(name, f"column {name!r} must hold {described}, but holds {arrow_type}"))
            continue
        if table.num_rows and table.column(name).null_count == table.num_rows:
            problems.append(Problem(name, f"column {name!r} is empty"))
            continue
        usable.add(name)
    if table.num_rows < task.min_rows:
        problems.append(Problem(None, f"the dataset has {table.num_rows} rows; the task needs at least {task.min_rows}"))
    if target.column in usable:
        problems.extend(_target_problems(task, table, usable))
    return problems


def _target_problems(task: Task, table: pa.Table, usable: set[str]) -> list[Problem]:
    target = task.target
    column = table.column(target.column)
    problems = []
    if column.null_count:
        problems.append(Problem(
            target.column,
            f"column {target.column!r} (the target) is missing in {column.null_count} rows; they are left out of training",
            WARNING,
        ))
    if target.kind in (TargetKind.CLASSES, TargetKind.ORDINAL):
        counts = _value_counts(column.drop_null())
        problems.extend(_unknown_labels(target.column, counts, target.labels))
        problems.extend(_too_few_per_class(target.column, counts, target.labels, target.min_rows_per_class))
    elif target.kind in (TargetKind.MULTI_LABEL, TargetKind.TOKEN_TAGS):
        counts = _value_counts(pc.list_flatten(column.drop_null()))
        problems.extend(_unknown_labels(target.column, counts, target.labels))
    if target.kind == TargetKind.TOKEN_TAGS:
        problems.extend(_tags_match_tokens(task, table, usable))
    return problems


def _value_counts(values: pa.ChunkedArray | pa.Array) -> Counter:
    counts = pc.value_counts(values)
    return Counter({str(v): c for v, c in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())})


def _quoted(values) -> str:
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:SHOWN_VALUES])
    return shown + (f" and {len(values) - SHOWN_VALUES} more" if len(values) > SHOWN_VALUES else "")


def _unknown_labels(column: str, counts: Counter, labels: tuple[str, ...]) -> list[Problem]:
    unknown = [label for label in counts if label not in labels]
    if not unknown:
        return []
    rows = sum(counts[label] for label in unknown)
    return [Problem(
        column,
        f"column {column!r} has labels the task does not know: {_quoted(unknown)} ({rows} values); "
        f"expected one of {_quoted(labels)}",
    )]


def _too_few_per_class(column: str, counts: Counter, labels: tuple[str, ...], minimum: int) -> list[Problem]:
    scarce = [label for label in labels if counts[label] < minimum]
    if not scarce:
        return []
    detail = ", ".join(f"{label!r}: {counts[label]}" for label in scarce[:SHOWN_VALUES])
    return [Problem(column, f"column {column!r} has too few rows for some classes ({detail}); each needs at least {minimum}")]


def _tags_match_tokens(task: Task, table: pa.Table, usable: set[str]) -> list[Problem]:
    tokens = next((c.name for c in task.inputs if c.type == ColumnType.TOKENS), None)
    if tokens not in usable:
        return []
    token_lengths = pc.list_value_length(table.column(tokens))
    tag_lengths = pc.list_value_length(table.column(task.target.column))
    mismatched = pc.fill_null(pc.not_equal(token_lengths, tag_lengths), False)
    count = pc.sum(mismatched).as_py() or 0
    if not count:
        return []
    first = pc.index(mismatched, True).as_py()
    return [Problem(
        task.target.column,
        f"column {task.target.column!r} must have one tag per word of {tokens!r}, but {count} rows differ "
        f"(first: row {first + 1}, {tag_lengths[first]} tags for {token_lengths[first]} words)",
    )]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]
