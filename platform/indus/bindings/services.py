"""Creating task bindings. A binding is never edited: a change is a new binding (see the model)."""
from django.core.exceptions import ValidationError
from django.db import transaction

from indus.bindings.models import TaskBinding
from indus.bindings.selectors import task_binding_proposal
from indus.core.errors import field_error
from indus.datasets.models import DatasetVersion
from indus.tenancy.services import audit_entry_create


@transaction.atomic
def task_binding_create(*, project, dataset_version: DatasetVersion, target: str, created_by=None,
                        **choices) -> TaskBinding:
    """Store the binding of `dataset_version`'s table that `task_binding_proposal` makes of
    `target` and the user's `choices` (template, inputs, id_column, labels, positive_label),
    or raise a ValidationError naming each field and column at fault, storing nothing."""
    if dataset_version.dataset.project_id != project.pk:
        raise field_error("dataset_version", "no such dataset version in this project", code="not_found")
    proposal = task_binding_proposal(dataset_version=dataset_version, target=target, **choices)
    if not proposal.valid:
        raise ValidationError(dict(proposal.problems))
    binding = TaskBinding.objects.create(project=project, created_by=created_by, **proposal.stored_fields())
    audit_entry_create(action="task_binding.create", target=binding, project=project, summary={
        "template": binding.template, "dataset_version": dataset_version.pk, "target": binding.target_column,
        "inputs": len(binding.inputs),
    })
    return binding
