"""What the contract defines once for the platform and the worker: the columns a model reads,
the task as JSON carries it, and which way each metric improves."""
import json

import pytest

from indus.plugins.contract import (
    Better,
    Column,
    ColumnType,
    ContractError,
    Modality,
    Target,
    TargetKind,
    Task,
    TaskTemplate,
    metric_named,
)
from indus.plugins.manager import build_registry


def task(target: Target, *inputs: Column) -> Task:
    return Task(
        name="test.task", title="", description="", modality=Modality.TABULAR,
        inputs=inputs or (Column("x", ColumnType.NUMBER),), target=target,
        head="any", backbone="any", metrics=("loss",),
    )


def test_a_model_reads_its_inputs_and_keeps_optional_ones_optional():
    columns = task(
        Target(TargetKind.REGRESSION, "price", group_column="store", time_column="day"),
        Column("size", ColumnType.NUMBER), Column("note", ColumnType.TEXT, required=False),
    ).model_columns
    # A regression's group and time columns are the plugin's notes on the data, not features.
    assert [(c.name, c.type, c.required) for c in columns] == [("size", "number", True), ("note", "text", False)]


def test_a_ranking_model_reads_who_it_ranks_for():
    columns = task(Target(TargetKind.RANKING, "item", group_column="user")).model_columns
    assert [(c.name, c.type) for c in columns] == [("x", "number"), ("user", "identifier")]


def test_a_forecast_reads_the_history_its_time_and_the_series():
    columns = task(
        Target(TargetKind.FORECAST, "load", horizon=3, time_column="at", group_column="sensor"),
        Column("at", ColumnType.DATETIME), Column("temperature", ColumnType.NUMBER),
    ).model_columns
    assert [(c.name, c.type) for c in columns] == [
        ("at", "datetime"), ("temperature", "number"), ("sensor", "identifier"), ("load", "number"),
    ]


def test_a_forecast_template_needs_a_horizon_and_binds_a_forecast_of_the_history_alone():
    def template(**horizon) -> TaskTemplate:
        return TaskTemplate("test.forecast", "", "", Modality.TIME_SERIES, TargetKind.FORECAST, (ColumnType.NUMBER,),
                            "forecasting", "any", ("mae",), quantiles=(0.1, 0.9), **horizon)

    with pytest.raises(ContractError, match="horizon"):
        template()
    bound = template(horizon=3).bound(target="units", inputs=(), group_column="shop", time_column="day")
    assert (bound.target.horizon, bound.target.quantiles, bound.target.group_column) == (3, (0.1, 0.9), "shop")
    assert [(c.name, c.type) for c in bound.model_columns] == [("shop", "identifier"), ("day", "datetime"),
                                                               ("units", "number")]
    with pytest.raises(ContractError, match="no input columns"):  # only a forecast has a history to read
        Task(name="test.task", title="", description="", modality=Modality.TABULAR, inputs=(),
             target=Target(TargetKind.REGRESSION, "units"), head="any", backbone="any", metrics=("loss",))


def test_every_installed_task_comes_back_from_its_json_equal_and_typed():
    tasks = build_registry().tasks.values()
    assert tasks
    for declared in tasks:
        read = Task.from_dict(json.loads(json.dumps(declared.as_dict())))
        assert read == declared, declared.name
        assert isinstance(read.target.kind, TargetKind) and isinstance(read.inputs[0].type, ColumnType)
        assert isinstance(read.target.labels, tuple)


@pytest.mark.parametrize(("name", "better"), [
    ("loss", Better.LOWER), ("mae_levels", Better.LOWER), ("macro_f1", Better.HIGHER),
    ("ndcg_at_10", Better.HIGHER), ("top_3_accuracy", Better.HIGHER), ("coverage", Better.NEITHER),
])
def test_metrics_declare_which_way_is_better(name, better):
    assert metric_named(name).better == better


def test_a_name_nothing_declares_has_no_direction():
    # No guessing from the name: "ndcg_at_k_error" is neither an error nor an ndcg.
    assert metric_named("ndcg_at_k_error") is None
    assert metric_named("smape") is None
