"""A per-column profile computed batch by batch, so memory stays flat for any row count.

Besides what drift reports and checks compare (missing, distinct, ranges, top values, text
lengths), the profile keeps what inferring a column's type and a target's labels needs
(`indus.datasets.column_inference`), each bounded whatever the row count: every value with its
count for a column of few short values, whether any value repeats, how many text values look
like integers, numbers or dates, words per text value, whether floats are whole, and a small
uniform sample of values.
"""
import hashlib
import math
import random
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DISTINCT_CAP = 10_000
TOP_VALUES = 10
# A column with at most this many distinct values, none longer than ALL_VALUES_MAX_CHARS, keeps
# every value with its count: a target's label set is read from it, never from the data again.
ALL_VALUES_CAP = 256
ALL_VALUES_MAX_CHARS = 200
SAMPLE_SIZE = 5
SAMPLE_VALUE_CHARS = 80
# Words and shapes of text are counted on this many values of each batch, spread over it: an
# estimate for a long column that keeps the cost of a batch fixed (regexes over every value of a
# long text column would cost ten times the rest of the profile).
SHAPED_VALUES_PER_BATCH = 2_048
# Past DISTINCT_CAP, repeats are still looked for within each batch, but only in columns that
# could be keys: integers, and text no longer than this.
KEY_MAX_CHARS = 64

# How text values look, counted at import so that numbers and dates stored as text are known
# without reading the data again. A shape is not a check: "31/02/2024" looks like a date.
_DIGITS = r"(\d{1,3}(,\d{3})+|\d+)"
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_TIME = r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([ap]m)?\s*(z|[+-]\d{2}:?\d{2})?)?"
TEXT_SHAPES = {
    "integer": rf"^\s*[-+]?{_DIGITS}\s*$",
    "number": rf"^\s*[-+]?[$€£¥]?({_DIGITS}(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?\s*$",
    "datetime": (
        rf"(?i)^\s*(\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[-/.]\d{{1,2}}[-/.](\d{{4}}|\d{{2}})"
        rf"|\d{{1,2}}[ -]{_MONTH}[ -,]*\d{{2,4}}|{_MONTH} \d{{1,2}},? \d{{4}}){_TIME}\s*$"
    ),
}
WORD = r"\S+"


class ColumnProfile:
    def __init__(self, name: str, arrow_type: pa.DataType):
        self.name = name
        self.arrow_type = arrow_type
        self.missing = 0
        self.count = 0
        self.value_counts: Counter | None = Counter()  # None once the column has too many values
        self.minimum = self.maximum = None
        self.total = 0.0
        # Text lengths in characters (count, sum, sum of squares): what drift reports compare.
        self.lengths = [0, 0.0, 0.0]
        self.longest = 0
        self.shaped = 0  # text values whose words and shapes were counted
        self.words = 0
        self.shapes = Counter()
        self.integral = True  # every float seen is a whole number
        # Whether a value occurs twice: exact while value_counts is kept; past the cap, only
        # repeats within one batch are seen, so False then means "none seen".
        self.repeated = False
        self.distinct_at_least: int | None = None  # the distinct values counted when the cap was passed
        self.sample = ValueSample(SAMPLE_SIZE)
        # A list of strings (words, tags, labels): its items' counts, for a target's labels, and
        # its lengths row by row, as a digest, so that tags can be checked against the words of
        # another column without reading the data again.
        self.items = ListItems() if _is_list_of_text(arrow_type) else None

    @property
    def is_text(self) -> bool:
        return pa.types.is_string(self.arrow_type) or pa.types.is_large_string(self.arrow_type)

    @property
    def is_numeric(self) -> bool:
        return pa.types.is_integer(self.arrow_type) or pa.types.is_floating(self.arrow_type)

    def add(self, values: pa.Array) -> None:
        self.count += len(values)
        self.missing += values.null_count
        present = values.drop_null()
        if len(present) == 0:
            return
        if self.is_numeric:
            low, high = pc.min_max(present).values()
            self.minimum = low.as_py() if self.minimum is None else min(self.minimum, low.as_py())
            self.maximum = high.as_py() if self.maximum is None else max(self.maximum, high.as_py())
            self.total += pc.sum(present.cast(pa.float64())).as_py()
            if pa.types.is_floating(self.arrow_type) and self.integral:
                self.integral = pc.all(pc.equal(pc.floor(present), present)).as_py()
        if self.is_text:
            lengths = pc.utf8_length(present).cast(pa.float64())
            self.lengths[0] += len(lengths)
            self.lengths[1] += pc.sum(lengths).as_py()
            self.lengths[2] += pc.sum(pc.multiply(lengths, lengths)).as_py()
            self.longest = max(self.longest, int(pc.max(lengths).as_py()))
            shaped = _spread(present, SHAPED_VALUES_PER_BATCH)
            self.shaped += len(shaped)
            self.words += pc.sum(pc.count_substring_regex(shaped, WORD)).as_py()
            for shape, pattern in TEXT_SHAPES.items():
                self.shapes[shape] += pc.sum(pc.match_substring_regex(shaped, pattern)).as_py() or 0
        if self.items is not None:
            self.items.add(values)
        if _is_sampled(self.arrow_type):
            self.sample.add(present)
        if _is_countable(self.arrow_type):
            self._count_values(present)

    def _count_values(self, present: pa.Array) -> None:
        if self.value_counts is None:
            could_be_key = pa.types.is_integer(self.arrow_type) or (self.is_text and self.longest <= KEY_MAX_CHARS)
            if could_be_key and not self.repeated:
                self.repeated = len(pc.unique(present)) < len(present)
            return
        counts = pc.value_counts(present)
        self.value_counts.update(dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())))
        if len(self.value_counts) > DISTINCT_CAP:
            self.distinct_at_least = len(self.value_counts)
            self.repeated = self.distinct_at_least < self.count - self.missing
            self.value_counts = None

    def as_dict(self) -> dict:
        present = self.count - self.missing
        profile = {
            "name": self.name,
            "type": str(self.arrow_type),
            "missing": self.missing,
            "distinct": len(self.value_counts) if self.value_counts is not None else None,
        }
        if self.is_numeric and present:
            profile.update(min=self.minimum, max=self.maximum, mean=self.total / present)
        if pa.types.is_floating(self.arrow_type) and present:
            profile["integral"] = self.integral
        count, total, squares = self.lengths
        if count:
            mean = total / count
            profile["length"] = {
                "mean": mean, "std": max(squares / count - mean * mean, 0.0) ** 0.5, "max": self.longest,
            }
            profile["words"] = {"mean": self.words / self.shaped}
            profile["text_shapes"] = {"examined": self.shaped, **{shape: self.shapes[shape] for shape in TEXT_SHAPES}}
        if self.value_counts is not None and self.value_counts:
            profile["top_values"] = [
                {"value": value, "count": count} for value, count in self.value_counts.most_common(TOP_VALUES)
            ]
            if len(self.value_counts) <= ALL_VALUES_CAP and self.longest <= ALL_VALUES_MAX_CHARS:
                profile["values"] = [
                    {"value": _json_value(value), "count": count} for value, count in self.value_counts.most_common()
                ]
        if _is_countable(self.arrow_type) and present:
            profile["repeated"] = (
                len(self.value_counts) < present if self.value_counts is not None else self.repeated
            )
            if self.distinct_at_least is not None:
                profile["distinct_at_least"] = self.distinct_at_least
        if self.sample.values:
            profile["sample"] = [_json_value(value, SAMPLE_VALUE_CHARS) for value in self.sample.values]
        if self.items is not None and present:
            profile["items"] = self.items.as_dict()
        return profile


class ListItems:
    """What a column of lists of strings holds: every item with its count while there are at
    most ALL_VALUES_CAP distinct short ones (a label or tag set), and the lists' lengths, with a
    digest of the length of every row's list (a missing list counts as -1): two columns have one
    item per item of the other in every row exactly when their digests are equal."""

    def __init__(self):
        self.counts: Counter | None = Counter()
        self.lengths = hashlib.blake2b(digest_size=16)
        self.total = 0
        self.shortest: int | None = None
        self.longest = 0

    def add(self, values: pa.Array) -> None:
        lengths = pc.fill_null(pc.list_value_length(values), -1).cast(pa.int64())
        self.lengths.update(lengths.to_numpy(zero_copy_only=False).astype("<i8").tobytes())
        present = lengths.filter(pc.greater_equal(lengths, 0))
        if len(present):
            low, high = pc.min_max(present).values()
            self.shortest = low.as_py() if self.shortest is None else min(self.shortest, low.as_py())
            self.longest = max(self.longest, high.as_py())
            self.total += pc.sum(present).as_py()
        if self.counts is None:
            return
        items = pc.list_flatten(values.drop_null()).drop_null()
        if len(items) and pc.max(pc.utf8_length(items)).as_py() > ALL_VALUES_MAX_CHARS:
            self.counts = None
            return
        counts = pc.value_counts(items)
        self.counts.update(dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())))
        if len(self.counts) > ALL_VALUES_CAP:
            self.counts = None

    def as_dict(self) -> dict:
        items = {"lengths": {"total": self.total, "min": self.shortest, "max": self.longest,
                             "digest": self.lengths.hexdigest()}}
        if self.counts is not None:
            items["values"] = [{"value": value, "count": count} for value, count in self.counts.most_common()]
        return items


class ValueSample:
    """A uniform sample of `size` values from a stream of arrays: reservoir sampling by Li's
    algorithm L, which draws random numbers only for the values it takes, so a long column
    costs a few dozen draws, not one per row. Seeded, so the same data gives the same profile."""

    def __init__(self, size: int, seed: int = 0):
        self.size = size
        self.values: list = []
        self.seen = 0
        self.random = random.Random(seed)
        self.weight = 1.0
        self.next_index = size - 1  # the index of the next value to take, once the sample is full

    def add(self, values: pa.Array) -> None:
        start = self.seen
        self.seen += len(values)
        if len(self.values) < self.size:
            self.values += values.slice(0, self.size - len(self.values)).to_pylist()
            if len(self.values) < self.size:
                return
            self._skip()
        while self.next_index < self.seen:
            self.values[self.random.randrange(self.size)] = values[self.next_index - start].as_py()
            self._skip()

    def _skip(self) -> None:
        self.weight *= math.exp(math.log(1.0 - self.random.random()) / self.size)
        self.weight = min(self.weight, 1.0 - 1e-12)
        self.next_index += math.floor(math.log(1.0 - self.random.random()) / math.log(1.0 - self.weight)) + 1


def _spread(values: pa.Array, most: int) -> pa.Array:
    """At most `most` of the values, evenly spread over them (all of them when they are fewer)."""
    if len(values) <= most:
        return values
    return values.take(pa.array(np.linspace(0, len(values) - 1, most).astype(np.int64)))


def _json_value(value, chars: int | None = None):
    """The value as the profile's JSON can hold it: text cut to `chars`; a float that JSON cannot
    spell (NaN, infinity) and a value of another kind (a date) as text."""
    if isinstance(value, str):
        return value if chars is None else value[:chars]
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    return str(value)


def _is_list_of_text(arrow_type: pa.DataType) -> bool:
    return (pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type)) and (
        pa.types.is_string(arrow_type.value_type) or pa.types.is_large_string(arrow_type.value_type))


def _is_sampled(arrow_type: pa.DataType) -> bool:
    return _is_countable(arrow_type) or pa.types.is_temporal(arrow_type)


def _is_countable(arrow_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_integer(arrow_type)
        or pa.types.is_boolean(arrow_type)
        or pa.types.is_floating(arrow_type)
    )


class DatasetProfiler:
    def __init__(self, schema: pa.Schema):
        self.columns = [ColumnProfile(field.name, field.type) for field in schema]
        self.row_count = 0

    def add(self, batch: pa.RecordBatch) -> None:
        self.row_count += batch.num_rows
        for column, values in zip(self.columns, batch.columns):
            column.add(values)

    def as_dict(self) -> dict:
        return {"row_count": self.row_count, "columns": [c.as_dict() for c in self.columns]}
