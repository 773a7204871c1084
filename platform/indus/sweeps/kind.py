"""The `sweep` job kind: search hyperparameters with Optuna, each trial a fine-tuning job on the
`gpu` queue, coordinated by this job on the `cpu` queue."""
from indus.plugins.job_kind import InputField, JobKind, MadeLink
from indus.registry.references import MODEL_VERSION
from indus.training.hyperparameters import BY_NAME
from indus.training.kind import INPUTS as FINE_TUNE_INPUTS

# What every trial shares with a fine-tuning job, declared once, there.
SHARED = tuple(item for item in FINE_TUNE_INPUTS if item.name in ("dataset_version", "task", "binding", "model_name",
                                                                  "backbone"))
PRUNERS = (("none", "every trial runs to its end"),
           ("median", "stop a trial whose validation metric is worse than the median of earlier trials at the same step"),
           ("halving", "successive halving: at each rung of steps, keep running only the best share of the trials "
                       "that reached it"))

INPUTS = (
    *SHARED,
    InputField("search_space", dict, default=None, flags=("--space",),
               help='hyperparameters of the table to search, each {"low", "high"[, "log"][, "step"]} or {"choices": '
                    f'[...]}}, e.g. {{"learning_rate": {{"low": 1e-4, "high": 1e-2, "log": true}}}}: {", ".join(BY_NAME)} '
                    "(default: the backbone family's default space, less the hyperparameters fixed)"),
    InputField("hyperparameters", dict, default={}, flags=("--set",),
               help="fixed values of hyperparameters not searched; the others take their defaults"),
    InputField("trials", int, default=20, minimum=1, maximum=1000, help="the budget: how many trials to run"),
    InputField("parallelism", int, default=2, minimum=1, maximum=64, help="trials running at once, on as many gpu workers"),
    InputField("max_minutes", float, default=None, maximum=7 * 24 * 60,
               help="a wall-time budget: no trial is started once this many minutes have passed since the sweep "
                    "first started; the running ones finish (default: none, the trials budget alone)"),
    InputField("metric", str, default=None, max_length=100,
               help="the validation metric to optimise, one the task reports; its declaration says which way is "
                    "better (default: the task's primary metric)"),
    InputField("pruning", str, default="none", choices=PRUNERS, help="how weak trials are stopped early"),
)

SWEEP = JobKind(
    name="sweep",
    title="hyperparameter sweep",
    queue="cpu",
    runner="indus.sweeps.coordinator.run_sweep_job",
    submit="indus.sweeps.services.sweep_submit",
    inputs=INPUTS,
    made=(MadeLink(id="job-best-model-version", result_key="model_version_id", references=MODEL_VERSION,
                   label=lambda result: f"Best trial {result.get('best_trial', '')}: model {result.get('model', '')} "
                                        f"v{result.get('version', '')}"
                                        + (f" (alias {result['alias']})" if result.get("alias") else "")),),
    after_retry="indus.sweeps.services.sweep_record_retry",
    admin_section="indus.sweeps.admin.sweep_trials_section",
)

KINDS = [SWEEP]
