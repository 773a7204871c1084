"""How a job's input names a model version: by id, within the job's project."""
from indus.plugins.job_kind import ProjectObject


def _model_version_label(version, with_project: bool) -> str:
    # A model version is always shown with its project: launch forms offer every project's.
    return f"{version.model.project.slug}/{version.model.name} v{version.number} ({version.model.task})"


MODEL_VERSION = ProjectObject(
    model="registry.ModelVersion",
    noun="model version",
    project_path="model__project",
    admin_url="admin:registry_modelversion_change",
    select_related=("model__project",),
    ordering=("model__project__slug", "model__name", "-number"),
    label=_model_version_label,
)
