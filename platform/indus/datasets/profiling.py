"""A per-column profile computed batch by batch, so memory stays flat for any row count."""
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

DISTINCT_CAP = 10_000
TOP_VALUES = 10


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
        if self.is_text:
            lengths = pc.utf8_length(present).cast(pa.float64())
            self.lengths[0] += len(lengths)
            self.lengths[1] += pc.sum(lengths).as_py()
            self.lengths[2] += pc.sum(pc.multiply(lengths, lengths)).as_py()
        if self.value_counts is not None and _is_countable(self.arrow_type):
            counts = pc.value_counts(present)
            self.value_counts.update(
                dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()))
            )
            if len(self.value_counts) > DISTINCT_CAP:
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
        count, total, squares = self.lengths
        if count:
            mean = total / count
            profile["length"] = {"mean": mean, "std": max(squares / count - mean * mean, 0.0) ** 0.5}
        if self.value_counts is not None and self.value_counts:
            profile["top_values"] = [
                {"value": value, "count": count} for value, count in self.value_counts.most_common(TOP_VALUES)
            ]
        return profile


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
