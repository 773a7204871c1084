"""The inference spec: everything a batch-inference job needs, as plain JSON-serialisable data."""
from dataclasses import asdict, dataclass, fields

from indus.plugins.contract import JobInputError

INPUT_FORMATS = ("csv", "jsonl", "parquet")
OUTPUT_FORMATS = ("parquet", "csv", "jsonl")
BAD_ROW_POLICIES = ("fail", "mark")
# Explanations cost tens of forward passes per row: a job explains a bounded number of rows.
MAX_EXPLAINED_ROWS = 1000


@dataclass
class InferenceSpec:
    model_dir: str  # a saved model folder (indus_workers.model.load_model reads it)
    input_path: str  # a local file
    input_format: str  # "csv" | "jsonl" | "parquet"
    output_dir: str  # the job's work folder: parts and progress live here; survives a worker's death
    output_path: str  # the final file, written atomically at the end
    output_format: str  # "parquet" | "csv" | "jsonl"
    id_column: str | None  # copied to the output; when None, a 0-based `row` column is written
    batch_size: int = 64
    rows_per_part: int = 50_000
    on_bad_rows: str = "fail"  # "fail": an error before any compute; "mark": an `error` column and a count
    explain: dict | None = None  # {"rows": [row numbers]} or {"top": k}
    int8: bool = False  # dynamic quantisation on CPU, trusted only after an agreement check
    reference_profile: dict | None = None  # the training dataset's profile, for drift
    # The input rows [first_row, end_row) of one part of a job split into parts
    # (`run_inference_part`); end_row None: the whole file.
    first_row: int = 0
    end_row: int | None = None

    def __post_init__(self):
        _one_of("input_format", self.input_format, INPUT_FORMATS)
        _one_of("output_format", self.output_format, OUTPUT_FORMATS)
        _one_of("on_bad_rows", self.on_bad_rows, BAD_ROW_POLICIES)
        for name in ("batch_size", "rows_per_part"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise JobInputError(f"{name} must be a positive whole number, got {value!r}")
        if self.explain is not None:
            _check_explain(self.explain)
        if not isinstance(self.first_row, int) or self.first_row < 0 or (
            self.end_row is not None and (not isinstance(self.end_row, int) or self.end_row <= self.first_row)
        ):
            raise JobInputError(f"the rows of a part must be 0 <= first_row < end_row; got {self.first_row}, {self.end_row}")

    @property
    def explained_rows(self) -> list[int] | None:
        return None if self.explain is None else self.explain.get("rows")

    @property
    def explained_top(self) -> int | None:
        return None if self.explain is None else self.explain.get("top")

    @classmethod
    def from_dict(cls, data: dict) -> "InferenceSpec":
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise JobInputError(f"unknown inference spec field(s): {', '.join(unknown)}")
        return cls(**data)

    def as_dict(self) -> dict:
        return asdict(self)


def _one_of(name: str, value, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise JobInputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _check_explain(explain: dict) -> None:
    if not isinstance(explain, dict) or len(explain) != 1 or not set(explain) <= {"rows", "top"}:
        raise JobInputError('explain must be {"rows": [row numbers]} or {"top": k}')
    rows, top = explain.get("rows"), explain.get("top")
    if rows is not None:
        if not isinstance(rows, list) or not all(isinstance(row, int) and not isinstance(row, bool) and row >= 0 for row in rows):
            raise JobInputError("explain rows must be a list of 0-based row numbers")
        wanted = len(set(rows))
    else:
        if not isinstance(top, int) or isinstance(top, bool) or top < 1:
            raise JobInputError(f"explain top must be a positive whole number, got {top!r}")
        wanted = top
    if wanted > MAX_EXPLAINED_ROWS:
        raise JobInputError(f"explanations are limited to {MAX_EXPLAINED_ROWS} rows a job; {wanted} were asked for")
