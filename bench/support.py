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
    task = registry.tasks[task_name]
    work.mkdir(parents=True, exist_ok=True)
    data_path = work / "data.parquet"
    pa_parquet.write_table(table, data_path)
    spec = TrainingSpec(
        task=ModelTask.of(task),
        head=ComponentSpec(task.head, registry.heads[task.head].factory),
        backbone=ComponentSpec(backbone, registry.backbones[backbone].factory),
        data_path=str(data_path), output_dir=str(work / "model"), checkpoint_dir=str(work / "checkpoints"),
        hyperparameters=Hyperparameters(epochs=epochs, **settings),
    )
    return train(spec, SilentEvents())
