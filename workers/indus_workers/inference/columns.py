"""The columns a model reads from an inference file, and the type it reads each as.

They are the task's inputs plus what its featurizer takes from elsewhere: the user or query a
ranking model scores for, and for a forecast the series, its time, and the target's own history.
"""
from dataclasses import dataclass

TEXT_TYPES = frozenset({"text"})
TOKENS_TYPES = frozenset({"tokens"})
NUMERIC_TYPES = frozenset({"number", "integer"})
DATETIME_TYPES = frozenset({"datetime"})
BOOLEAN_TYPES = frozenset({"boolean"})
CATEGORICAL_TYPES = frozenset({"category", "identifier"})


@dataclass(frozen=True)
class InputColumn:
    name: str
    type: str  # a ColumnType value of the plugin contract
    required: bool = True


def model_input_columns(task: dict) -> list[InputColumn]:
    columns = {column["name"]: InputColumn(column["name"], column["type"], column.get("required", True)) for column in task["inputs"]}
    target = task["target"]
    extra = []
    if target["kind"] == "ranking":
        extra.append(InputColumn(target["group_column"], "identifier"))
    if target["kind"] == "forecast":
        extra.append(InputColumn(target["column"], "number"))
        extra.append(InputColumn(target["time_column"], "datetime"))
        if target.get("group_column"):
            extra.append(InputColumn(target["group_column"], "identifier"))
    for column in extra:
        columns.setdefault(column.name, column)
    return list(columns.values())
