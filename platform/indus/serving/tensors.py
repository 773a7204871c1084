"""Open Inference Protocol (V2) tensors as rows and back.

A V2 request holds one tensor per input column, one element per row (shape [n] or [n, 1]);
a response holds one tensor per output column of batch inference's output rows (`label`,
`p_<label>`, `q_<level>`, ...). Text travels as BYTES; lists and objects (tags, spans, top-k)
as BYTES holding JSON.
"""
import json

from indus.serving.directory import Refused
from indus_workers.inference.columns import BOOLEAN_TYPES, NUMERIC_TYPES

TENSOR_TYPE_OF_COLUMN = {**{kind: "FP64" for kind in NUMERIC_TYPES}, "integer": "INT64", **{kind: "BOOL" for kind in BOOLEAN_TYPES}}


def input_types(columns) -> list[dict]:
    """The model's inputs as V2 metadata: a name, a datatype and a shape of any length."""
    return [{"name": column.name, "datatype": TENSOR_TYPE_OF_COLUMN.get(column.type, "BYTES"), "shape": [-1]} for column in columns]


def _element(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def rows_of(request) -> list[dict]:
    """One row per element of the request's tensors, keyed by tensor name."""
    columns = {}
    for tensor in request.inputs:
        try:
            values = [_element(value) for value in tensor.as_numpy().reshape(-1).tolist()]
        except (ValueError, TypeError, UnicodeDecodeError) as error:
            raise Refused(400, "invalid", f"input {tensor.name!r} cannot be read: {error}", field=f"inputs.{tensor.name}") from None
        columns[tensor.name] = values
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise Refused(400, "invalid", "every input tensor must hold one element per row; their lengths differ: "
                      + ", ".join(f"{name} {len(values)}" for name, values in columns.items()), field="inputs")
    rows = lengths.pop() if lengths else 0
    return [{name: values[index] for name, values in columns.items()} for index in range(rows)]


def _tensor_type(values: list) -> str:
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, bool) for value in present):
        return "BOOL"
    if present and all(isinstance(value, int) and not isinstance(value, bool) for value in present):
        return "INT64"
    if present and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        return "FP64"
    return "BYTES"


def outputs_of(answers: list[dict]) -> list[dict]:
    """`InferOutput` arguments: one tensor per output column, in the order of the first row."""
    names = list(dict.fromkeys(name for row in answers for name in row))
    outputs = []
    for name in names:
        values = [row.get(name) for row in answers]
        datatype = _tensor_type(values)
        if datatype == "FP64":
            values = [float("nan") if value is None else float(value) for value in values]
        elif datatype == "BYTES":
            values = ["" if value is None else value if isinstance(value, str) else json.dumps(value) for value in values]
        outputs.append({"name": name, "shape": [len(values)], "datatype": datatype, "data": values})
    return outputs
