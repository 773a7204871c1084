"""Checking a dataset against a task's contract, with messages that name the column.

Two ways, with the same rules (pyarrow only): from the data, in a worker (an import against
the task it names; a fine-tune's first stage), and from a version's stored schema and profile,
reading no data, in the control plane when a job is submitted. What only the data can show
is left to the worker.
"""
import re
from collections import Counter
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pa_parquet

from indus.plugins.contract import ColumnType, JobInputError, TargetKind, Task

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
    return validate_batches(task, table.schema, table.to_batches(), num_rows=table.num_rows)


def validate_batches(task: Task, schema: pa.Schema, batches, *, num_rows: int) -> list[Problem]:
    """`validate_table` for data read batch by batch: what the checks need of the values (null
    counts, label counts, tags that do not match words) is added up across the batches, so no
    more than one batch is held. `schema` is the data's, `num_rows` its rows."""
    types = {field.name: field.type for field in schema}
    # The columns whose type fits: only their values are looked at.
    _, typed = _column_problems(task, types, num_rows, empty=lambda name: False)
    facts = _ValueFacts.added_up(task, typed, batches)
    problems, usable = _column_problems(task, types, num_rows, empty=lambda name: facts.nulls[name] == num_rows)
    if task.target.column in usable:
        problems.extend(_target_problems(task, facts, usable))
    return problems


@dataclass
class _ValueFacts:
    """What the checks need of a task's columns' values, added up batch by batch."""

    nulls: Counter
    labels: Counter  # the target's labels (or its lists' items), nulls left out
    tag_mismatches: int = 0
    first_mismatch: tuple[int, int, int] | None = None  # (row, tags, words)
    tokens: str | None = None

    @classmethod
    def added_up(cls, task: Task, typed: set[str], batches) -> "_ValueFacts":
        target = task.target
        tokens = next((c.name for c in task.inputs if c.type == ColumnType.TOKENS), None)
        facts = cls(nulls=Counter(), labels=Counter(), tokens=tokens if tokens in typed else None)
        rows_before = 0
        for batch in batches:
            for name, values in zip(batch.schema.names, batch.columns):
                facts.nulls[name] += values.null_count
            if target.column in typed:
                facts._add_target(task, batch.column(target.column), batch, rows_before)
            rows_before += batch.num_rows
        return facts

    def _add_target(self, task: Task, target: pa.Array, batch: pa.RecordBatch, rows_before: int) -> None:
        kind = task.target.kind
        if kind in (TargetKind.CLASSES, TargetKind.ORDINAL):
            self.labels += _value_counts(target.drop_null())
        elif kind in (TargetKind.MULTI_LABEL, TargetKind.TOKEN_TAGS):
            self.labels += _value_counts(pc.list_flatten(target.drop_null()))
        if kind == TargetKind.TOKEN_TAGS and self.tokens is not None:
            token_lengths = pc.list_value_length(batch.column(self.tokens))
            tag_lengths = pc.list_value_length(target)
            mismatched = pc.fill_null(pc.not_equal(token_lengths, tag_lengths), False)
            count = pc.sum(mismatched).as_py() or 0
            if count and self.first_mismatch is None:
                first = pc.index(mismatched, True).as_py()
                self.first_mismatch = (rows_before + first, tag_lengths[first].as_py(), token_lengths[first].as_py())
            self.tag_mismatches += count


def _column_problems(task: Task, types: dict, num_rows: int, empty) -> tuple[list[Problem], set[str]]:
    """The problems with the task's columns and the row count, from each column's Arrow type
    (None where it is not known: that column is left out) and `empty(name)`, whether a column
    holds no value; and the columns that are usable."""
    problems, usable = [], set()
    target = task.target
    expected = [(c.name, *COLUMN_TYPES[c.type], c.required) for c in task.columns]
    expected.append((target.column, *TARGET_TYPES[target.kind], True))
    for name, accepts, described, required in expected:
        if name not in types:
            if required:
                problems.append(Problem(name, f"column {name!r} is missing; the task needs it as {described}"))
            continue
        arrow_type = types[name]
        if arrow_type is None:
            continue
        if not accepts(arrow_type):
            problems.append(Problem(name, f"column {name!r} must hold {described}, but holds {arrow_type}"))
            continue
        if num_rows and empty(name):
            problems.append(Problem(name, f"column {name!r} is empty"))
            continue
        usable.add(name)
    if num_rows < task.min_rows:
        problems.append(Problem(None, f"the dataset has {num_rows} rows; the task needs at least {task.min_rows}"))
    return problems, usable


def _target_problems(task: Task, facts: _ValueFacts, usable: set[str]) -> list[Problem]:
    target = task.target
    problems = []
    if missing := facts.nulls[target.column]:
        problems.append(Problem(
            target.column,
            f"column {target.column!r} (the target) is missing in {missing} rows; they are left out of training",
            WARNING,
        ))
    if target.kind in (TargetKind.CLASSES, TargetKind.ORDINAL):
        problems.extend(_unknown_labels(target.column, facts.labels, target.labels))
        problems.extend(_too_few_per_class(target.column, facts.labels, target.labels, target.min_rows_per_class))
    elif target.kind in (TargetKind.MULTI_LABEL, TargetKind.TOKEN_TAGS):
        problems.extend(_unknown_labels(target.column, facts.labels, target.labels))
    if target.kind == TargetKind.TOKEN_TAGS and facts.tokens in usable and facts.tag_mismatches:
        row, tags, words = facts.first_mismatch
        problems.append(Problem(
            target.column,
            f"column {target.column!r} must have one tag per word of {facts.tokens!r}, but {facts.tag_mismatches} "
            f"rows differ (first: row {row + 1}, {tags} tags for {words} words)",
        ))
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


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


# --- From what is stored about a dataset version: no data is read ------------------------

def validate_stored(task: Task, *, columns: list[dict], profile: dict) -> list[Problem]:
    """The problems that a version's stored schema (`[{name, type}]`) and profile (see
    `indus.datasets.profiling`) show, without reading its data, so that a web request refuses
    data that cannot fit. Left to a check of the values, in a worker: a column of a type not
    recognised, labels when the profile's top values are not all of them, lists of labels or
    tags, and whether tags match words."""
    profiles = {column["name"]: column for column in profile.get("columns", [])}
    num_rows = profile.get("row_count", 0)
    types = {column["name"]: arrow_type_named(column["type"]) for column in columns}
    problems, usable = _column_problems(
        task, types, num_rows, empty=lambda name: profiles.get(name, {}).get("missing") == num_rows
    )
    target = task.target
    if target.column in usable and target.kind in (TargetKind.CLASSES, TargetKind.ORDINAL):
        counts = _stored_value_counts(profiles.get(target.column, {}))
        if counts is not None:
            problems.extend(_unknown_labels(target.column, counts, target.labels))
            problems.extend(_too_few_per_class(target.column, counts, target.labels, target.min_rows_per_class))
    return problems


def _stored_value_counts(column_profile: dict) -> Counter | None:
    """Every value's count, when the profile holds them all: its `values` (every value of a
    column with few short ones), or its top values when they are all of them."""
    distinct = column_profile.get("distinct")
    counted = column_profile.get("values") or column_profile.get("top_values") or []
    if distinct is None or len(counted) != distinct:
        return None
    return Counter({str(item["value"]): item["count"] for item in counted})


LIST_TYPE = re.compile(r"(large_)?list<[^:<>]+: (.+)>")
TIMESTAMP_TYPE = re.compile(r"timestamp\[(s|ms|us|ns)(?:, tz=(.+))?\]")
DECIMAL_TYPE = re.compile(r"decimal(128|256)\((\d+), (-?\d+)\)")


def arrow_type_named(name: str) -> pa.DataType | None:
    """The Arrow type that `str(type)` spelled as `name`, or None for one not recognised
    (a struct, a dictionary...), whose fit is then left to a check of the data."""
    if match := LIST_TYPE.fullmatch(name):
        value_type = arrow_type_named(match[2])
        return None if value_type is None else (pa.large_list if match[1] else pa.list_)(value_type)
    if match := TIMESTAMP_TYPE.fullmatch(name):
        return pa.timestamp(match[1], tz=match[2])
    if match := DECIMAL_TYPE.fullmatch(name):
        return (pa.decimal128 if match[1] == "128" else pa.decimal256)(int(match[2]), int(match[3]))
    try:
        return pa.type_for_alias(name)
    except (KeyError, ValueError):
        return None


# --- From the data, in a worker ------------------------------------------------------------

# Rows of the task's columns read at a time by `check_parquet_file`.
CHECK_BATCH_ROWS = 16_384


def check_parquet_file(task: Task, path: str) -> None:
    """Raise a JobInputError naming every error that makes the Parquet file at `path` unfit
    for the task. Only the columns the task names are read, a batch at a time, text columns
    as dictionaries (one copy of each distinct value): a version stored before the import
    limits may hold gigabytes in a few kilobytes."""
    as_written = pa_parquet.ParquetFile(path)
    schema = as_written.schema_arrow
    wanted = [name for name in dict.fromkeys([c.name for c in task.columns] + [task.target.column])
              if name in schema.names]
    text_leaves = [column.path for column in as_written.schema if column.physical_type == "BYTE_ARRAY"]
    parquet = pa_parquet.ParquetFile(path, read_dictionary=text_leaves)
    problems = errors(validate_batches(
        task, pa.schema([schema.field(name) for name in wanted]),
        parquet.iter_batches(batch_size=CHECK_BATCH_ROWS, columns=wanted), num_rows=parquet.metadata.num_rows,
    ))
    if problems:
        raise JobInputError(f"the data does not fit task {task.name}: " + "; ".join(map(str, problems)))
