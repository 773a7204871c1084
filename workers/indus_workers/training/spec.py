"""The training spec: everything a run needs, as plain JSON-serialisable data."""
from dataclasses import asdict, dataclass, field

from indus_workers.task import ModelTask


@dataclass
class Hyperparameters:
    """Every value is always given: the control plane owns the defaults and the bounds
    (indus.training.hyperparameters) and sends them complete."""

    learning_rate: float
    epochs: float
    batch_size: int
    weight_decay: float
    warmup_ratio: float
    early_stopping_patience: int  # evaluations without improvement before stopping; 0: never
    max_length: int
    class_weighting: bool  # weight the loss by inverse class frequency
    checkpoint_every_steps: int  # 0: one checkpoint (and evaluation) per epoch
    seed: int
    validation_fraction: float
    test_fraction: float


@dataclass
class ComponentSpec:
    name: str
    factory: str  # "package.module:callable"
    options: dict = field(default_factory=dict)


@dataclass
class TrainingSpec:
    task: ModelTask  # the plugin's task; JSON carries its as_dict()
    head: ComponentSpec
    backbone: ComponentSpec
    data_path: str  # a local Parquet file
    output_dir: str  # where the finished model folder is written
    checkpoint_dir: str  # survives a worker's death; the run resumes from here
    hyperparameters: Hyperparameters
    parent_model_dir: str | None = None  # warm start from this model folder

    @classmethod
    def from_dict(cls, data: dict) -> "TrainingSpec":
        return cls(
            **{
                **data,
                "task": ModelTask.from_dict(data["task"]),
                "head": ComponentSpec(**data["head"]),
                "backbone": ComponentSpec(**data["backbone"]),
                "hyperparameters": Hyperparameters(**data["hyperparameters"]),
            }
        )

    def as_dict(self) -> dict:
        return asdict(self)
