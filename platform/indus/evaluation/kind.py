"""The `evaluate` job kind: a model version scored on a labelled dataset version."""
from indus.datasets.kind import DATASET_VERSION
from indus.plugins.job_kind import InputField, JobKind
from indus.registry.references import MODEL_VERSION

EVALUATE = JobKind(
    name="evaluate",
    title="evaluation",
    queue="gpu",
    runner="indus.evaluation.runner.run_evaluate_job",
    part_runner="indus.evaluation.runner.run_evaluate_part",
    submit="indus.evaluation.services.evaluation_submit",
    inputs=(
        InputField("model_version", int, references=MODEL_VERSION, link_label="Model version used",
                   help="the model version of this project to score"),
        InputField("dataset_version", int, references=DATASET_VERSION, link_label="Dataset version read",
                   help="a dataset version of this project with the task's input columns and its target column"),
    ),
)

KINDS = [EVALUATE]
