"""Tasks as a worker holds them (a `ModelTask`, a real contract `Task`), and tiny backbones."""
from indus.plugins.contract import Column, ColumnType, Modality, Presentation, Target, TargetKind, Task
from indus_workers.task import ModelTask

TEXT_BACKBONE = "indus_workers.backbones.text:build_text_encoder"
TABULAR_BACKBONE = "indus_workers.backbones.tabular:build_tabular_encoder"
TIME_SERIES_BACKBONE = "indus_workers.backbones.time_series:build_time_series_encoder"
FUSION_BACKBONE = "indus_workers.backbones.fusion:build_fusion_encoder"

HEADS = "indus_workers.heads"
CLASSIFICATION_HEAD = f"{HEADS}.classification:ClassificationHead"
TOKEN_HEAD = f"{HEADS}.token_classification:TokenClassificationHead"
REGRESSION_HEAD = f"{HEADS}.regression:RegressionHead"
RANKING_HEAD = f"{HEADS}.ranking:RankingHead"
FORECASTING_HEAD = f"{HEADS}.forecasting:ForecastingHead"

# A randomly initialised BERT small enough to train in milliseconds; the vocabulary comes from
# the real MiniLM tokenizer, which loads fast.
TINY_BERT = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}
TINY_TEXT_OPTIONS = {"config": TINY_BERT}


def make_task(
    kind: str,
    *,
    inputs: dict[str, str] | None = None,
    modality: str = "tabular",
    target_column: str = "target",
    top_k: int = 1,
    **target_fields,
) -> ModelTask:
    """A task for a target kind, with input columns given as {name: column type}."""
    inputs = inputs or {"x": "number"}
    task = Task(
        name=f"test.{kind}",
        title=kind,
        description="a task for tests",
        modality=Modality(modality),
        inputs=tuple(Column(name, ColumnType(type_)) for name, type_ in inputs.items()),
        target=Target(TargetKind(kind), target_column, **target_fields),
        head=kind,
        backbone="any",
        metrics=("loss",),
        presentation=Presentation(top_k=top_k),
    )
    return ModelTask.of(task)


def fit_encoder(encoder, table):
    """What the runtime does before assembling a model: fit the featurizer on the training rows,
    then build the layers it sizes."""
    encoder.featurizer.fit(table)
    encoder.build_fitted_layers()
    return encoder
