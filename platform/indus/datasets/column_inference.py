"""How a table can be used, inferred from what its import stored: each column's type and
role, the id column, and for a named target the problem kind, the labels and the positive label.

It reads a dataset version's stored schema (`[{name, type}]`) and profile (see
`indus.datasets.profiling`), never its data, so a web request can propose a use of any table
without reading it. Every choice carries its reason in words, for the user to see why, and every
refusal names the column and the problem. A profile stored before a fact a rule needs was
profiled (an older import) still gives a proposal: the rule falls back on what is stored and its
reason says so.

Pure: no Django, no I/O; pyarrow only to read the stored type names.
"""
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from enum import StrEnum

import pyarrow as pa

from indus.datasets.profiling import ALL_VALUES_CAP, DISTINCT_CAP, TEXT_SHAPES
from indus.plugins.contract import ColumnType
from indus.plugins.dataset_validation import arrow_type_named

# A column with at least this share of its rows missing is left out: too little to learn from.
MOSTLY_MISSING_SHARE = 0.9
# Text is read as numbers or dates when at least this share of its values looks like them; the
# rest are taken for missing-value markers ("n/a", "unknown").
PARSED_SHARE = 0.95
# Whole numbers with at most this many distinct values, each seen twice on average, are codes
# (a region 1-5, a product line): categories as inputs, classes as a target.
FEW_CODES = 10
# Strings with at most this many distinct values, each seen twice on average, are categories.
MAX_CATEGORIES = 1_000
# Strings of this many words on average are text even when they repeat.
LONG_TEXT_WORDS = 5
# The most classes a classification target may have: past it a class has too few rows to learn.
MAX_CLASSES = 200
# Fewer rows than this and "every value distinct" says nothing of a key.
MIN_ROWS_FOR_KEY = 10
# Words a binary target's affirmative value is spelled with, as `_spelled` writes them.
BOOLEAN_PAIRS = {
    frozenset({"yes", "no"}): "yes", frozenset({"y", "n"}): "y", frozenset({"true", "false"}): "true",
    frozenset({"t", "f"}): "t", frozenset({"1", "0"}): "1", frozenset({"on", "off"}): "on",
}
ID_WORDS = {"id", "ids", "uuid", "guid", "key", "pk", "identifier"}
SHOWN_VALUES = 3
SHAPE_PATTERNS = {shape: re.compile(pattern, re.IGNORECASE) for shape, pattern in TEXT_SHAPES.items()}
SHAPE_WORDS = {"datetime": "dates", "integer": "whole numbers", "number": "numbers"}


class ProblemKind(StrEnum):
    BINARY = "binary"  # two labels, one of them the positive
    CLASSES = "classes"  # one label of several
    REGRESSION = "regression"  # a number
    LABEL_LISTS = "label_lists"  # a list of labels (or of tags) per row
    ITEMS = "items"  # the item a user or query chose, of a catalogue to rank


class Role(StrEnum):
    INPUT = "input"
    TARGET = "target"
    ID = "id"  # tells rows apart: carried through to predictions, never learnt from
    LEFT_OUT = "left_out"
    GROUP = "group"  # a ranking's user or query, a forecast's series: named by a binding
    TIME = "time"  # the time that orders a forecast's series: named by a binding


@dataclass(frozen=True)
class ColumnInference:
    name: str  # the header, trimmed
    original_name: str  # the header as stored
    stored_type: str  # the Arrow type the import stored
    type: ColumnType | None  # None: no type fits (a struct, a map...)
    type_reason: str
    role: Role
    role_reason: str
    name_reason: str = ""  # set when the header was trimmed, or why it was not


@dataclass(frozen=True)
class Refusal:
    column: str | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class TargetInference:
    column: str
    kind: ProblemKind
    kind_reason: str
    labels: tuple | None  # None for a regression, or when the profile does not list every value
    labels_reason: str
    positive_label: object = None  # a binary target's only
    positive_reason: str = ""
    notes: tuple[str, ...] = ()  # what the user should know but need not act on


@dataclass(frozen=True)
class ColumnsProposal:
    columns: tuple[ColumnInference, ...]
    target: TargetInference | None = None
    id_column: str | None = None
    refusals: tuple[Refusal, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.role == Role.INPUT)

    def column(self, name: str) -> ColumnInference:
        return next(column for column in self.columns if name in (column.name, column.original_name))


@dataclass(frozen=True)
class _Facts:
    """What the stored profile says of one column. A CSV reader keeps an empty field of a text
    column as "" (not as missing): blank text the profile lists counts as missing here."""

    rows: int
    arrow_type: pa.DataType | None
    profile: dict = field(default_factory=dict)

    @property
    def blank(self) -> int:
        return sum(entry["count"] for entry in self.profile.get("top_values") or [] if _is_blank(entry["value"]))

    @property
    def blank_values(self) -> int:
        return sum(1 for entry in self.profile.get("top_values") or [] if _is_blank(entry["value"]))

    @property
    def missing(self) -> int:
        return (self.profile.get("missing", 0) or 0) + self.blank

    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def distinct(self) -> int | None:
        distinct = self.profile.get("distinct")
        return None if distinct is None else distinct - self.blank_values

    @property
    def all_values(self) -> list[dict] | None:
        """Every value with its count, most common first; None when the profile does not list
        them all (too many, or an import older than the full list, with too many for its top)."""
        listed = self.profile.get("values")
        if listed is None:
            top = self.profile.get("top_values") or []
            listed = top if self.profile.get("distinct") is not None and len(top) == self.profile["distinct"] else None
        return None if listed is None else [entry for entry in listed if not _is_blank(entry["value"])]

    @property
    def known_values(self) -> list:
        """The values the profile shows: every one, or its most common, or a sample."""
        listed = self.profile.get("values") or self.profile.get("top_values") or []
        shown = [entry["value"] for entry in listed] or list(self.profile.get("sample") or [])
        return [value for value in shown if not _is_blank(value)]

    @property
    def repeated(self) -> bool | None:
        """Whether some value occurs twice; None when the profile cannot tell."""
        if "repeated" in self.profile:
            return self.profile["repeated"]
        return None if self.distinct is None else self.distinct < self.present

    @property
    def is_text(self) -> bool:
        return self.arrow_type is not None and (pa.types.is_string(self.arrow_type) or pa.types.is_large_string(self.arrow_type))


def infer_columns(
    *, columns: Sequence[dict], profile: dict, target: str | None = None, inputs: Sequence[str] | None = None,
    target_is_item: bool = False,
) -> ColumnsProposal:
    """Each column's type and role; with `target`, its problem kind and labels; with `inputs`,
    only those columns as inputs. `columns` and `profile` are what a dataset version stores.
    With `target_is_item` the target names the item of a catalogue to rank (any number of
    distinct values), not a label."""
    rows = profile.get("row_count", 0) or 0
    profiles = {entry.get("name"): entry for entry in profile.get("columns", [])}
    names = _trimmed_names([column["name"] for column in columns])
    facts = {
        column["name"]: _Facts(rows, arrow_type_named(column["type"]), profiles.get(column["name"], {}))
        for column in columns
    }
    refusals: list[Refusal] = []
    target_name = _resolved(target, names, refusals) if target is not None else None
    chosen_inputs = None
    if inputs is not None:
        chosen_inputs = {_resolved(name, names, refusals) for name in inputs} - {None}
        if target_name is not None and target_name in chosen_inputs:
            refusals.append(Refusal(names[target_name][0], (
                f"column {names[target_name][0]!r} is both the target and an input; a model cannot be given "
                "the answer it is asked for: leave it out of the inputs"
            )))

    inferred = []
    for column in columns:
        original = column["name"]
        name, name_reason = names[original]
        column_facts = facts[original]
        column_type, type_reason = _column_type(name, column_facts)
        if original == target_name:
            role, role_reason = Role.TARGET, "the target named"
        elif chosen_inputs is not None:
            role, role_reason = _chosen_role(name, original in chosen_inputs, column_type, column["type"], refusals)
        else:
            role, role_reason = _role(column_type, column_facts)
        inferred.append(ColumnInference(
            name=name, original_name=original, stored_type=column["type"], type=column_type,
            type_reason=type_reason, role=role, role_reason=role_reason, name_reason=name_reason,
        ))
    inferred, id_column = _with_one_id_column(inferred, facts)

    target_inference = None
    if target_name is not None:
        target_column = next(column for column in inferred if column.original_name == target_name)
        target_inference = _target(target_column, facts[target_name], refusals, target_is_item)
    return ColumnsProposal(
        columns=tuple(inferred), target=target_inference, id_column=id_column, refusals=tuple(refusals),
    )


# --- Names ------------------------------------------------------------------------------------

def _trimmed_names(originals: list[str]) -> dict[str, tuple[str, str]]:
    """Each stored header's name with the whitespace around it trimmed, and why, unless the
    trimmed name is another column's."""
    trimmed = {}
    taken = set(originals)
    for original in originals:
        name = original.strip()
        if name == original:
            trimmed[original] = (original, "")
        elif name in taken:
            trimmed[original] = (original, f"not trimmed: {name!r} is another column's name")
        else:
            taken.add(name)
            trimmed[original] = (name, f"the header {original!r} has whitespace around it; trimmed to {name!r}")
    return trimmed


def _resolved(asked: str, names: dict[str, tuple[str, str]], refusals: list[Refusal]) -> str | None:
    """The stored header a user's column name means: as stored, as trimmed, or the only one
    that matches ignoring case and surrounding whitespace."""
    if asked in names:
        return asked
    by_trimmed = {name: original for original, (name, _) in names.items()}
    if asked.strip() in by_trimmed:
        return by_trimmed[asked.strip()]
    folded = [original for original, (name, _) in names.items() if name.casefold() == asked.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    close = get_close_matches(asked, list(by_trimmed), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; the columns are {_listed(list(by_trimmed), 10)}"
    refusals.append(Refusal(asked, f"no column named {asked!r}{hint}"))
    return None


# --- Types ------------------------------------------------------------------------------------

def _column_type(name: str, facts: _Facts) -> tuple[ColumnType | None, str]:
    kind = facts.arrow_type
    if kind is None:
        return None, "its stored type is not one a column type is inferred for"
    if pa.types.is_boolean(kind):
        return ColumnType.BOOLEAN, "stored as true/false values"
    if pa.types.is_temporal(kind) and not pa.types.is_duration(kind):
        return ColumnType.DATETIME, f"stored as {kind} values"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        if pa.types.is_string(kind.value_type) or pa.types.is_large_string(kind.value_type):
            return ColumnType.TOKENS, "a list of strings: pre-split words"
        return None, f"a list of {kind.value_type} values, which no column type takes"
    if not (facts.is_text or pa.types.is_integer(kind) or pa.types.is_floating(kind)
            or pa.types.is_decimal(kind) or pa.types.is_duration(kind)):
        return None, f"stored as {kind}, which no column type takes"
    if not facts.profile:
        column_type, reason = _base_type(facts)
        return column_type, f"{reason} (the profile has nothing on this column)"
    if facts.present == 0:
        return _base_type(facts)
    if pair := _boolean_pair(facts):
        return ColumnType.BOOLEAN, f"two values, {pair}, a yes/no pair"
    base, reason = _base_type(facts)
    key = _key_reason(name, facts) if base in (ColumnType.TEXT, ColumnType.INTEGER) else None
    if key:
        return ColumnType.IDENTIFIER, key
    if base == ColumnType.INTEGER and (codes := _few_codes(facts)):
        return ColumnType.CATEGORY, codes
    if base == ColumnType.TEXT:
        return _text_or_category(facts)
    return base, reason


def _base_type(facts: _Facts) -> tuple[ColumnType, str]:
    """What the stored type says, and for text what its values look like."""
    kind = facts.arrow_type
    if pa.types.is_integer(kind):
        return ColumnType.INTEGER, "stored as whole numbers"
    if pa.types.is_floating(kind):
        if facts.profile.get("integral"):
            return ColumnType.INTEGER, "stored as decimals, but every value is a whole number"
        return ColumnType.NUMBER, "stored as decimal numbers"
    if pa.types.is_decimal(kind) or pa.types.is_duration(kind):
        return ColumnType.NUMBER, f"stored as {kind} values"
    shares, source = _shape_shares(facts)
    for shape, column_type, what in (
        ("datetime", ColumnType.DATETIME, "dates stored as text"),
        ("integer", ColumnType.INTEGER, "whole numbers stored as text"),
        ("number", ColumnType.NUMBER, "numbers stored as text"),
    ):
        if shares and shares[shape] >= PARSED_SHARE:
            reason = f"{what}: {_percent(shares[shape])} of {source} look like {SHAPE_WORDS[shape]}"
            pattern = SHAPE_PATTERNS[shape]
            odd = [value for value in facts.known_values if not pattern.match(str(value))]
            if shares[shape] < 1 and odd:
                reason += f"; the rest, such as {odd[0]!r}, are taken as missing"
            return column_type, reason
    return ColumnType.TEXT, "stored as text"


def _shape_shares(facts: _Facts) -> tuple[dict[str, float] | None, str]:
    """The share of a text column's values of each shape, and what it was measured on."""
    shapes = facts.profile.get("text_shapes")
    if shapes and shapes.get("examined") and facts.present:
        examined = shapes["examined"]
        source = "the values" if examined >= facts.present else f"the {examined:,} values examined"
        # the blank values examined, in the share the column holds them, are no shape
        filled = examined * facts.present / (facts.present + facts.blank)
        return {shape: shapes.get(shape, 0) / filled for shape in SHAPE_PATTERNS}, source
    # An older profile: judge by the values it lists, weighted by their counts.
    listed = [entry for entry in facts.profile.get("values") or facts.profile.get("top_values") or []
              if not _is_blank(entry["value"])]
    total = sum(entry["count"] for entry in listed)
    if not total:
        return None, ""
    shares = {
        shape: sum(entry["count"] for entry in listed if pattern.match(str(entry["value"]))) / total
        for shape, pattern in SHAPE_PATTERNS.items()
    }
    return shares, f"its {len(listed)} most common values (the profile has no shape counts: an older import)"


def _boolean_pair(facts: _Facts) -> str | None:
    """The column's two values as 'A/B' when they are a yes/no pair (Yes/No, Y/N, 0/1...)."""
    if facts.distinct != 2:
        return None
    values = facts.known_values[:2]
    if len(values) == 2 and frozenset(map(_spelled, values)) in BOOLEAN_PAIRS:
        return "/".join(map(str, _in_order(values)))
    return None


def _key_reason(name: str, facts: _Facts) -> str | None:
    """Why the column is a key, or None: every value distinct, in whole numbers or short text,
    with a name that reads as an id, or values that could be nothing else."""
    kind = facts.arrow_type
    if not (pa.types.is_integer(kind) or facts.is_text) or facts.present < MIN_ROWS_FOR_KEY:
        return None
    id_like = _reads_as_id(name)
    repeated = facts.repeated
    if repeated is None:  # an older profile past its distinct cap: only the name can tell
        if id_like:
            return (f"more than {DISTINCT_CAP:,} distinct values and the name {name!r} reads as an id "
                    "(the profile does not say whether values repeat: an older import)")
        return None
    if repeated:
        many = facts.distinct is None or 2 * facts.distinct >= facts.present
        if id_like and many:
            how_many = f"{facts.distinct:,}" if facts.distinct is not None else f"more than {DISTINCT_CAP:,}"
            return (f"the name {name!r} reads as an id and its values are many ({how_many} over "
                    f"{facts.present:,} rows) though some repeat: the key of something rows share, a customer or an item")
        return None
    every = "no value repeats" if facts.distinct is not None else (
        f"more than {DISTINCT_CAP:,} distinct values and no repeat seen within any block of rows read")
    if id_like:
        return f"{every} and the name {name!r} reads as an id"
    words = (facts.profile.get("words") or {}).get("mean")
    if facts.is_text and words is not None and words <= 1:
        return f"{every}, in single words: a key that tells rows apart"
    low, high = facts.profile.get("min"), facts.profile.get("max")
    if pa.types.is_integer(kind) and low is not None and high - low + 1 == facts.present:
        return f"{every} and the values run from {low} to {high} without a gap: a row number"
    return None


def _reads_as_id(name: str) -> bool:
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)
    return any(word.lower() in ID_WORDS for word in words) or name.strip().lower() in {"index", "row", "rownum"}


def _few_codes(facts: _Facts) -> str | None:
    distinct = facts.distinct
    if distinct is None or distinct > FEW_CODES or 2 * distinct > facts.present:
        return None
    shown = _listed(_in_order(facts.known_values), SHOWN_VALUES)
    return f"whole numbers with only {distinct} distinct values ({shown}) over {facts.present:,} rows: codes"


def _text_or_category(facts: _Facts) -> tuple[ColumnType, str]:
    distinct = facts.distinct
    words = (facts.profile.get("words") or {}).get("mean")
    if words is not None and facts.present:  # the mean over the values that are not blank
        words = words * (facts.present + facts.blank) / facts.present
    if words is None:  # an older profile: about six characters a word
        length = (facts.profile.get("length") or {}).get("mean", 0.0)
        words, measured = length / 6, f"about {length / 6:.1f} words a value, judged by length (an older import)"
    else:
        measured = f"{words:.1f} words a value on average"
    repeats = distinct is not None and distinct <= MAX_CATEGORIES and 2 * distinct <= facts.present
    if repeats and words < LONG_TEXT_WORDS:
        shown = _listed(facts.known_values, SHOWN_VALUES)
        return ColumnType.CATEGORY, (
            f"short strings ({measured}) that repeat: {distinct} distinct value{'s' * (distinct != 1)} ({shown})")
    if words >= LONG_TEXT_WORDS:
        return ColumnType.TEXT, f"long multi-word strings ({measured})"
    how_many = f"{distinct:,}" if distinct is not None else f"more than {DISTINCT_CAP:,}"
    return ColumnType.TEXT, (
        f"strings ({measured}) with {how_many} distinct values over {facts.present:,} rows: too varied for a category"
    )


# --- Roles ------------------------------------------------------------------------------------

def _role(column_type: ColumnType | None, facts: _Facts) -> tuple[Role, str]:
    """Whether an inferred column is an input, and why it is left out if not."""
    if facts.rows and facts.present == 0:
        return Role.LEFT_OUT, "every value is missing"
    if facts.distinct == 1:
        value = facts.known_values[0] if facts.known_values else None
        where = "every row" if not facts.missing else f"every row that has a value ({facts.missing:,} have none)"
        return Role.LEFT_OUT, f"constant: {where} holds {value!r}, so it tells no row from another"
    if facts.rows and facts.missing / facts.rows >= MOSTLY_MISSING_SHARE:
        return Role.LEFT_OUT, (
            f"mostly missing: {facts.missing:,} of {facts.rows:,} rows ({_percent(facts.missing / facts.rows)}) "
            f"have no value, {_percent(MOSTLY_MISSING_SHARE)} or more is left out"
        )
    if column_type is None:
        return Role.LEFT_OUT, "no column type fits it"
    if column_type == ColumnType.IDENTIFIER:
        return Role.LEFT_OUT, "a key tells rows apart; a model cannot learn from it"
    if column_type == ColumnType.TOKENS:
        return Role.LEFT_OUT, "pre-split words are read by token tagging only; name it as an input to use it"
    return Role.INPUT, f"an input of type {column_type}"


def _chosen_role(name: str, chosen: bool, column_type: ColumnType | None, stored: str,
                 refusals: list[Refusal]) -> tuple[Role, str]:
    if not chosen:
        return Role.LEFT_OUT, "not among the inputs named"
    if column_type is None:
        refusals.append(Refusal(name, f"column {name!r} is stored as {stored}, which no input type takes"))
    return Role.INPUT, "named as an input"


def _with_one_id_column(
    columns: list[ColumnInference], facts: dict[str, _Facts],
) -> tuple[list[ColumnInference], str | None]:
    """One key becomes the id column, carried through to predictions: the first whose values
    never repeat and whose name reads as an id, else the first that never repeats, else the
    first key. Other keys stay left out."""
    keys = [column for column in columns if column.type == ColumnType.IDENTIFIER and column.role == Role.LEFT_OUT]
    if not keys:
        return columns, None
    chosen = min(keys, key=lambda column: (
        facts[column.original_name].repeated is not False, not _reads_as_id(column.name)))
    reason = "the id column: a key, carried through to predictions so that each one names its row"
    return [
        replace(column, role=Role.ID, role_reason=reason) if column is chosen else column
        for column in columns
    ], chosen.name


# --- The target ---------------------------------------------------------------------------------

def _target(column: ColumnInference, facts: _Facts, refusals: list[Refusal],
            is_item: bool = False) -> TargetInference | None:
    name = column.name
    refused = len(refusals)
    values = facts.all_values
    if not facts.profile:
        refusals.append(Refusal(name, (
            f"target {name!r}: the stored profile has nothing on this column, so its labels cannot be "
            "told; import the data again")))
    elif facts.present == 0:
        refusals.append(Refusal(name, f"target {name!r} has no values: every row is missing"))
    elif facts.distinct == 1:
        value = facts.known_values[0] if facts.known_values else None
        if facts.missing:
            refusals.append(Refusal(name, (
                f"target {name!r} has one class: every row that has a value holds {value!r} ({facts.missing:,} "
                "rows have none); a model needs at least two classes to tell apart")))
        else:
            refusals.append(Refusal(name, (
                f"target {name!r} is constant: every row holds {value!r}; there is nothing to predict")))
    elif column.type is None or column.type == ColumnType.DATETIME or (is_item and column.type == ColumnType.TOKENS):
        refusals.append(Refusal(name, (
            f"target {name!r} holds {column.stored_type} values; a target must hold labels or numbers")))
    if len(refusals) > refused:
        return None
    if column.type == ColumnType.TOKENS:
        return _label_lists_target(column, facts, refusals)
    if is_item:
        how_many = f"{facts.distinct:,}" if facts.distinct is not None else f"more than {DISTINCT_CAP:,}"
        return TargetInference(
            column=name, kind=ProblemKind.ITEMS,
            kind_reason=f"the item each row's user or query chose: a catalogue of {how_many} items to rank",
            labels=None, labels_reason="the catalogue is every item of the training rows, read when a worker reads them",
            notes=_missing_note(name, facts),
        )

    numeric = column.type in (ColumnType.INTEGER, ColumnType.NUMBER) or (
        column.type == ColumnType.CATEGORY and not facts.is_text)
    missing_note = _missing_note(name, facts)
    if facts.distinct == 2:
        kind, kind_reason = ProblemKind.BINARY, f"two values ({_listed(_in_order(facts.known_values), 2)}): binary"
    elif numeric and column.type != ColumnType.CATEGORY and not _few_codes(facts):
        how_many = f"{facts.distinct:,}" if facts.distinct is not None else f"more than {DISTINCT_CAP:,}"
        return TargetInference(
            column=name, kind=ProblemKind.REGRESSION,
            kind_reason=f"numbers with {how_many} distinct values: a regression",
            labels=None, labels_reason="a regression predicts a number, not a label", notes=missing_note,
        )
    elif numeric:
        kind, kind_reason = ProblemKind.CLASSES, f"whole numbers with only {facts.distinct} distinct values: classes"
    else:
        if facts.repeated is False:
            refusals.append(Refusal(name, (
                f"target {name!r} has a different value in every row; each row would be its own class")))
            return None
        if facts.distinct is None or facts.distinct > MAX_CLASSES:
            how_many = f"{facts.distinct:,}" if facts.distinct is not None else f"more than {DISTINCT_CAP:,}"
            refusals.append(Refusal(name, (
                f"target {name!r} has {how_many} distinct values, more than the {MAX_CLASSES} classes a "
                "classification takes; choose a column of fewer labels, or group its values")))
            return None
        kind, kind_reason = ProblemKind.CLASSES, f"{facts.distinct} distinct labels: classes"

    if values is None:
        return TargetInference(
            column=name, kind=kind, kind_reason=kind_reason, labels=None,
            labels_reason=("the profile lists only the most common values (an older import); the labels "
                           "are read from the data when a worker reads it"),
            notes=missing_note,
        )
    counts = {_hashable(entry["value"]): entry["count"] for entry in values}
    labels = tuple(_in_order(list(counts)))
    if labels != tuple(counts) or all(_number(label) is not None for label in labels):
        labels_reason = "in numeric order"
    else:
        labels_reason = "most common first, as the profile lists them; put them in order if the labels are ranked"
    rare = [f"{label!r} ({counts[label]} row)" for label in labels if counts[label] < 2]
    notes = missing_note + ((
        f"too few rows to both train and evaluate on: {_listed(rare, SHOWN_VALUES)}",) if rare else ())
    if kind != ProblemKind.BINARY:
        return TargetInference(column=name, kind=kind, kind_reason=kind_reason, labels=labels,
                               labels_reason=labels_reason, notes=notes)
    positive, positive_reason = _positive_label(labels, counts, facts.present)
    return TargetInference(
        column=name, kind=kind, kind_reason=kind_reason, labels=labels, labels_reason=labels_reason,
        positive_label=positive, positive_reason=positive_reason, notes=notes,
    )


def _missing_note(name: str, facts: _Facts) -> tuple[str, ...]:
    return (f"{facts.missing:,} rows have no {name!r} and are left out of training and evaluation",) \
        if facts.missing else ()


def _label_lists_target(column: ColumnInference, facts: _Facts, refusals: list[Refusal]) -> TargetInference | None:
    """A target of lists of strings: labels of a multi-label target, or tags of token tagging
    (which, the binding decides by the words it is aligned with). The labels are the items the
    profile counted."""
    name = column.name
    items = facts.profile.get("items")
    if items is None:
        refusals.append(Refusal(name, (
            f"target {name!r} holds lists, but the stored profile has nothing on their items (an older import); "
            "import the data again")))
        return None
    if items.get("values") is None:
        refusals.append(Refusal(name, (
            f"target {name!r} holds lists of more than {ALL_VALUES_CAP} distinct items (or very long ones): "
            "too many labels to learn; choose a column of fewer labels")))
        return None
    counts = {entry["value"]: entry["count"] for entry in items["values"] if not _is_blank(entry["value"])}
    if len(counts) < 2:
        held = f"only {_listed(list(counts), 1)}" if counts else "no label at all"
        refusals.append(Refusal(name, (
            f"target {name!r} holds lists with {held}; a model needs at least two labels to tell apart")))
        return None
    lengths = items["lengths"]
    per_row = lengths["total"] / facts.present if facts.present else 0.0
    return TargetInference(
        column=name, kind=ProblemKind.LABEL_LISTS,
        kind_reason=f"lists of labels: {len(counts)} distinct labels, {per_row:.1f} a row on average",
        labels=tuple(counts), labels_reason="the lists' items, most common first, as the profile counted them",
        notes=_missing_note(name, facts),
    )


def list_misalignment(profile: dict, words: str, tags: str) -> str | None:
    """Why the lists of `tags` are not one per item of the lists of `words` in some row, or
    None when they are (or when the profile, an older import's, cannot tell: a worker checks
    it when it reads the data). From the lengths' digests the profile keeps."""
    profiles = {entry.get("name"): entry for entry in profile.get("columns", [])}
    word_lengths, tag_lengths = ((profiles.get(name, {}).get("items") or {}).get("lengths") for name in (words, tags))
    if not word_lengths or not tag_lengths or word_lengths["digest"] == tag_lengths["digest"]:
        return None
    return (f"the tags of {tags!r} are not one per word of {words!r} in some rows ({tag_lengths['total']:,} tags "
            f"for {word_lengths['total']:,} words in all); each row needs as many tags as it has words")


def _positive_label(labels: tuple, counts: dict, present: int):
    spelled = {_spelled(label): label for label in labels}
    affirmative = BOOLEAN_PAIRS.get(frozenset(spelled))
    if affirmative is not None:
        other = next(label for label in labels if _spelled(label) != affirmative)
        return spelled[affirmative], f"{spelled[affirmative]!r} is the affirmative of the pair {spelled[affirmative]!r}/{other!r}"
    first, second = labels
    if counts[first] == counts[second]:
        return second, f"both labels have {counts[first]:,} rows; the second in order is taken as positive"
    rarer = min(labels, key=lambda label: counts[label])
    return rarer, (
        f"{rarer!r} is the rarer label ({counts[rarer]:,} of {present:,} rows, {_percent(counts[rarer] / present)}): "
        "the class a binary model is usually asked to find"
    )


# --- Helpers ------------------------------------------------------------------------------------

def _is_blank(value) -> bool:
    return isinstance(value, str) and not value.strip()


def _spelled(value) -> str:
    """A value as a yes/no pair is matched on: lower case, a whole float as an integer."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def _number(value) -> float | None:
    if isinstance(value, bool | int | float):
        return float(value)
    try:
        number = float(str(value).replace(",", "").strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def spells_a_number(value) -> bool:
    """Whether a value is a finite number or text that spells one ("3", "1,200")."""
    return _number(value) is not None


def _in_order(values: list) -> list:
    """In numeric order when every value is a number (or spells one), else as given."""
    numbers = [_number(value) for value in values]
    if values and all(number is not None for number in numbers):
        return [value for _, value in sorted(zip(numbers, values), key=lambda pair: pair[0])]
    return list(values)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _listed(values: list, most: int) -> str:
    shown = ", ".join(repr(value) if isinstance(value, str) else str(value) for value in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"
