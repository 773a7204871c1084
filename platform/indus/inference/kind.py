"""The `batch_inference` job kind: a model version over a dataset version, predictions stored.
Its inputs' defaults, bounds and help are declared here once, for the service, the API, the
admin form and the CLI."""
from indus.datasets.kind import DATASET_VERSION
from indus.plugins.job_kind import AdminInput, InputField, JobKind, filled_with_defaults
from indus.registry.references import MODEL_VERSION

MAX_EXPLAINED_ROWS = 1000
MAX_BATCH_SIZE = 4096


def _explain_top_field():
    from django import forms

    return forms.IntegerField(required=False, label="Explain rows",
                              help_text="explain the K highest-scoring rows; empty: explain none")


INPUTS = (
    InputField("model_version", int, references=MODEL_VERSION, link_label="Model version used",
               help="a model version of this project"),
    InputField("dataset_version", int, references=DATASET_VERSION, link_label="Dataset version read",
               help="the dataset version to predict for, in the model's project"),
    InputField("output_format", str, default="parquet", choices=(("parquet", ""), ("csv", ""), ("jsonl", "")),
               help="the predictions file's format"),
    InputField("id_column", str, default=None,
               help="a column copied to the output; by default the task's id column, when the data has it"),
    InputField("on_bad_rows", str, default="fail",
               choices=(("fail", "stop before any compute"), ("mark", "an error column per bad row")),
               help="what a row the model cannot read does"),
    InputField("explain", dict, default=None,
               help=f'explain chosen rows, {{"rows": [row numbers, 0-based]}}, or the k highest-scoring, {{"top": k}}; '
                    f"at most {MAX_EXPLAINED_ROWS}",
               admin=AdminInput("explain_top", field=_explain_top_field,
                                value=lambda top: None if top is None else {"top": top})),
    InputField("int8", bool, default=False, help="dynamic int8 quantisation on CPU workers"),
    InputField("batch_size", int, default=64, minimum=1, maximum=MAX_BATCH_SIZE, help="rows per forward pass"),
)

BATCH_INFERENCE = JobKind(
    name="batch_inference",
    title="batch inference",
    queue="gpu",
    runner="indus.inference.runner.run_batch_inference_job",
    part_runner="indus.inference.runner.run_batch_inference_part",
    submit="indus.inference.services.batch_inference_submit",
    download="indus.inference.predictions_file.predictions_response",
    inputs=INPUTS,
    spec_upgrades={0: filled_with_defaults(INPUTS)},
)

KINDS = [BATCH_INFERENCE]
