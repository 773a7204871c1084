"""The hooks a plugin may implement. This module imports pluggy and nothing else, so that a
plugin can depend on it without pulling in Django or the ML stack."""
import pluggy

PROJECT_NAME = "indus"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def indus_tasks():
    """Return the plugin's tasks: a list of `indus.plugins.contract.Task`."""


@hookspec
def indus_task_templates():
    """Return task templates a project binds to its own columns and labels: a list of
    `indus.plugins.contract.TaskTemplate`."""


@hookspec
def indus_heads():
    """Return the model heads the plugin adds: a list of `indus.plugins.contract.Head`."""


@hookspec
def indus_backbones():
    """Return the backbones the plugin adds: a list of `indus.plugins.contract.Backbone`."""


@hookspec
def indus_sample_datasets():
    """Return sample-data generators: a list of `indus.plugins.contract.SampleDataset`."""


@hookspec
def indus_job_kinds():
    """Return the job kinds the plugin adds: a list of `indus.plugins.job_kind.JobKind`. Each
    is submitted, shown and launched like the platform's own (the API, the admin, the CLI)."""
