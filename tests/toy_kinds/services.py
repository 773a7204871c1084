"""The toy kind's submit service, written as a platform service is: check, then queue."""
from django.core.exceptions import ValidationError

from indus.core.errors import field_error
from indus.jobs.services import job_create
from indus.plugins.job_kind import InputError
from tests.toy_kinds.kind import TOY


def toy_submit(*, project, dataset_version, rows, mode, note, dry_run, created_by=None):
    if dataset_version.dataset.project_id != project.pk:
        raise field_error("dataset_version", "no such dataset version in this project", code="not_found")
    try:
        TOY.checked({"rows": rows, "mode": mode, "note": note, "dry_run": dry_run})
    except InputError as error:
        raise ValidationError(error.problems) from None
    if rows > dataset_version.row_count:
        raise field_error("rows", f"the dataset version has {dataset_version.row_count} rows, not {rows}")
    return job_create(project=project, kind=TOY.name, created_by=created_by, spec={
        "dataset_version_id": dataset_version.pk, "rows": rows, "mode": mode, "note": note, "dry_run": dry_run,
    })
