"""What the benchmarks share."""
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pa_parquet

from indus.plugins.manager import build_registry
from indus_workers.task import ModelTask
from indus_workers.training.spec import ComponentSpec, Hyperparameters, TrainingSpec
from indus_workers.training.trainer import train


class SilentEvents:
    """RunEvents that report nothing: a benchmark times the runtime, not its reporting."""

    def progress(self, *args): pass
    def metric(self, *args): pass
    def log(self, *args): pass
    def checkpoint(self, *args): pass
    def should_stop(self): return False


def train_on_platform(task_name: str, table: pa.Table, work: Path, *, epochs: int, backbone: str = "minilm", **settings) -> dict:
    """Fine-tunes a backbone (MiniLM unless told) for a plugin's task with the platform's
    runtime, as a job would; the model lands in `work / "model"`. Returns the run's result."""
    registry = build_registry()
    return _trained(registry, registry.tasks[task_name], table, work, backbone=backbone,
                    hyperparameters=Hyperparameters(epochs=epochs, **settings))


def train_template_with_defaults(template_name: str, table: pa.Table, work: Path, *, target: str,
                                 inputs: dict[str, str], labels: tuple[str, ...] = (), positive_label: str = "",
                                 **hyperparameters) -> dict:
    """A user's own table trained as the platform trains it when no hyperparameters are given:
    a generic template bound to the table's columns ({name: column type}), the defaults the
    control plane resolves for its backbone and task, the platform's runtime. Any keyword
    refines a default. Returns the run's result; the baselines sit in its reports."""
    from indus.plugins.contract import Column, ColumnType
    from indus.training.hyperparameters import defaults

    registry = build_registry()
    template = registry.templates[template_name]
    task = template.bound(target=target, inputs=tuple(Column(name, ColumnType(kind)) for name, kind in inputs.items()),
                          labels=labels, positive_label=positive_label)
    chosen = defaults(backbone=registry.backbones[template.backbone], task=task)
    return _trained(registry, task, table, work, backbone=template.backbone,
                    hyperparameters=Hyperparameters(**{**chosen, **hyperparameters}))


def _trained(registry, task, table: pa.Table, work: Path, *, backbone: str, hyperparameters: Hyperparameters) -> dict:
    """`task` trained on `table` by the platform's runtime, as a job would, in `work`."""
    work.mkdir(parents=True, exist_ok=True)
    data_path = work / "data.parquet"
    pa_parquet.write_table(table, data_path)
    spec = TrainingSpec(
        task=ModelTask.of(task),
        head=ComponentSpec(task.head, registry.heads[task.head].factory),
        backbone=ComponentSpec(backbone, registry.backbones[backbone].factory),
        data_path=str(data_path), output_dir=str(work / "model"), checkpoint_dir=str(work / "checkpoints"),
        hyperparameters=hyperparameters,
    )
    return train(spec, SilentEvents())


def baseline_metric(result: dict, name: str, metric: str) -> float | None:
    """A baseline's test metric in a run's result (None where the run fitted no such baseline)."""
    for candidate in result["reports"]["baselines"]["candidates"]:
        if candidate["name"] == name:
            return candidate["metrics"].get(metric)
    return None
