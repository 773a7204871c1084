"""Fixtures for testing industry plugins: hold a loaded plugin and its sample data to the
platform's contract, and fit cheap baselines that show a sample can be learnt. Any plugin's
tests may use them; each test file loads its own plugin into a fresh registry."""
import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from indus.plugins.contract import ColumnType, TargetKind, Task, resolve_factory
from indus.plugins.dataset_validation import errors, validate_table
from indus.plugins.manager import PluginRegistry

# The arrow type a sample generator writes for each kind of column. Stricter than validation,
# which accepts any type that can hold the column: a sample is the example users copy.
SAMPLE_COLUMN_TYPES = {
    ColumnType.TEXT: pa.string(),
    ColumnType.CATEGORY: pa.string(),
    ColumnType.NUMBER: pa.float64(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.IDENTIFIER: pa.string(),
    ColumnType.TOKENS: pa.list_(pa.string()),
}
SAMPLE_TARGET_TYPES = {
    TargetKind.CLASSES: pa.string(),
    TargetKind.ORDINAL: pa.string(),
    TargetKind.TOKEN_TAGS: pa.list_(pa.string()),
}
UNKNOWN_LABEL = "no_such_label"


def _generate(registry: PluginRegistry, sample_name: str, *, rows: int, seed: int) -> pa.Table:
    return resolve_factory(registry.samples[sample_name].generator)(rows=rows, seed=seed)


def _with_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, values)


def _broken_copies(task: Task, table: pa.Table) -> list[tuple[str, str, pa.Table]]:
    """(what is wrong, the column a problem must name, the table) for a few ways a dataset
    goes wrong: a missing input, a label the task does not know, an empty target."""
    target = task.target.column
    dropped_input = next(c.name for c in task.inputs if c.required)
    labels = table.column(target).to_pylist()
    if task.target.kind == TargetKind.TOKEN_TAGS:
        labels[0] = [UNKNOWN_LABEL] * len(labels[0])
    else:
        labels[0] = UNKNOWN_LABEL
    target_type = table.schema.field(target).type
    return [
        (f"without {dropped_input}", dropped_input, table.drop_columns([dropped_input])),
        ("with an unknown label", target, _with_column(table, target, pa.array(labels, target_type))),
        ("with an empty target", target, _with_column(table, target, pa.nulls(table.num_rows, target_type))),
    ]


@pytest.fixture
def check_sample():
    """Generate a sample twice and hold it to its task: deterministic for a seed, different
    for another, the declared columns in their declared types with no gaps, unique ids,
    accepted by `validate_table`, and broken copies rejected with the column named."""

    def check(registry: PluginRegistry, sample_name: str, *, rows: int = 300, seed: int = 11) -> None:
        task = registry.tasks[registry.samples[sample_name].task]
        rows = max(rows, task.min_rows)
        table = _generate(registry, sample_name, rows=rows, seed=seed)
        assert table.num_rows == rows
        assert table.equals(_generate(registry, sample_name, rows=rows, seed=seed)), "the same seed must give the same table"
        assert not table.equals(_generate(registry, sample_name, rows=rows, seed=seed + 1)), "another seed must differ"

        expected = {c.name: SAMPLE_COLUMN_TYPES[c.type] for c in task.columns}
        expected[task.target.column] = SAMPLE_TARGET_TYPES[task.target.kind]
        assert {f.name: f.type for f in table.schema} == expected
        assert {name: table.column(name).null_count for name in expected} == dict.fromkeys(expected, 0)
        if task.id_column:
            assert pc.count_distinct(table.column(task.id_column)).as_py() == rows

        assert validate_table(task, table) == []
        for broken, column, copy in _broken_copies(task, table):
            named = {problem.column for problem in errors(validate_table(task, copy))}
            assert column in named, f"{sample_name} {broken}: no error names {column!r}"

    return check


# What the control plane must not pay for when it loads a plugin at start-up.
HEAVY_MODULES = ("numpy", "torch", "pyarrow")


def _modules_imported_by(module: str, watched: tuple[str, ...]) -> set[str]:
    """The modules, among `watched`, that importing `module` loads in a fresh interpreter."""
    probe = f"import sys, json, {module}; print(json.dumps([m for m in {list(watched)!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout))


@pytest.fixture
def check_plugin():
    """Hold a loaded plugin to what the platform expects of it: no errors, the given tasks,
    a sample dataset for each, and a module that the control plane can import at start-up
    without loading numpy, torch or pyarrow."""

    def check(registry: PluginRegistry, name: str, tasks: set[str]) -> None:
        plugin = registry.plugins[name]
        assert plugin.errors == []
        assert set(plugin.tasks) == tasks
        assert {registry.samples[sample].task for sample in plugin.samples} == tasks
        assert _modules_imported_by(plugin.module, HEAVY_MODULES) == set()

    return check


def _cross_validated(features, truth: np.ndarray, *, steps=(), class_weight=None):
    """Out-of-fold class probabilities of a logistic regression, and the classes' order."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(*steps, LogisticRegression(max_iter=2000, class_weight=class_weight))
    probabilities = cross_val_predict(model, features, truth, cv=3, method="predict_proba")
    return probabilities, np.array(sorted(set(truth)))


@pytest.fixture
def tabular_baseline():
    """Cross-validated logistic regression on a task's non-text inputs (categories one-hot,
    booleans as 0/1, numbers standardised): `(truth, probabilities, classes)`."""
    from sklearn.preprocessing import StandardScaler

    def fit(task: Task, table: pa.Table, *, class_weight=None):
        encoded = []
        for column in task.inputs:
            values = table.column(column.name).to_numpy(zero_copy_only=False)
            if column.type == ColumnType.CATEGORY:
                encoded += [(values == category).astype(float) for category in sorted(set(values))]
            elif column.type != ColumnType.TEXT:
                encoded.append(values.astype(float))
        truth = np.array(table.column(task.target.column).to_pylist())
        steps = (StandardScaler(),)
        return truth, *_cross_validated(np.column_stack(encoded), truth, steps=steps, class_weight=class_weight)

    return fit


@pytest.fixture
def bag_of_words_baseline():
    """Cross-validated logistic regression on the word counts of one text column:
    `(truth, probabilities, classes)`."""
    from sklearn.feature_extraction.text import CountVectorizer

    def fit(task: Task, table: pa.Table, text_column: str):
        truth = np.array(table.column(task.target.column).to_pylist())
        return truth, *_cross_validated(table.column(text_column).to_pylist(), truth, steps=(CountVectorizer(),))

    return fit
