"""How a job's input names a task binding: by id, within the job's project."""
from indus.plugins.job_kind import ProjectObject


def _binding_label(binding, with_project: bool) -> str:
    prefix = f"{binding.project.slug}/" if with_project else ""
    return f"{prefix}binding {binding.pk}: {binding.template} -> {binding.target_column}"


TASK_BINDING = ProjectObject(
    model="bindings.TaskBinding",
    noun="task binding",
    project_path="project",
    admin_url="admin:bindings_taskbinding_change",
    select_related=("project",),
    label=_binding_label,
)
