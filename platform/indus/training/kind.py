"""The `fine_tune` job kind: train a task's head on a backbone over a dataset version, and
register the result as a model version."""
from indus.bindings.references import TASK_BINDING
from indus.datasets.kind import DATASET_VERSION
from indus.plugins.job_kind import InputField, JobKind, MadeLink, filled_with_defaults
from indus.registry.references import MODEL_VERSION
from indus.training.hyperparameters import BY_NAME

INPUTS = (
    InputField("dataset_version", int, references=DATASET_VERSION, link_label="Dataset version read",
               help="a dataset version of this project"),
    InputField("task", str, default=None,
               help="a task a loaded plugin provides, e.g. finance.news_sentiment; or give a binding"),
    InputField("binding", int, default=None, references=TASK_BINDING, link_label="Task binding", admin=False,
               help="a task binding of this project: a template bound to the dataset's own columns"),
    InputField("model_name", str, max_length=100, flags=("--model",),
               help="the registered model the result becomes a version of"),
    InputField("backbone", str, default=None, help="defaults to the task's backbone"),
    InputField("hyperparameters", dict, default={}, flags=("--set",),
               help=f"name: value, each checked against its bounds; the others take their defaults: {', '.join(BY_NAME)}"),
    InputField("parent_version", int, default=None, references=MODEL_VERSION, link_label="Warm-started from",
               help="a model version to warm-start from"),
    InputField("processes", int, default=1, minimum=1, help="training processes (DDP)"),
)

FINE_TUNE = JobKind(
    name="fine_tune",
    title="fine-tune",
    queue="gpu",
    runner="indus.training.runner.run_fine_tune_job",
    submit="indus.training.services.fine_tune_submit",
    admin_form="indus.training.admin_forms.FineTuneLaunchForm",
    inputs=INPUTS,
    made=(MadeLink(id="job-model-version", result_key="model_version_id", references=MODEL_VERSION,
                   label=lambda result: f"Made model {result.get('model', '')} v{result.get('version', '')}"),),
    # Before version 1 a spec could lack the number of processes (then 1); before version 2,
    # the binding (then none: the task named its columns).
    spec_version=2,
    spec_upgrades={0: filled_with_defaults(INPUTS), 1: filled_with_defaults(INPUTS)},
)

KINDS = [FINE_TUNE]
