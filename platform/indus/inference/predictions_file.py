"""The predictions a batch-inference job wrote, as a download: one rule for the API and the admin."""
from django.http import FileResponse

from indus.core.errors import field_error
from indus.core.storage import artifact_storage
from indus.jobs.models import Job
from indus.jobs.states import JobState


def predictions_file(*, job: Job) -> tuple[str, str]:
    """(storage name, download file name) of a job's predictions, or a ValidationError that
    says why there are none: a job of another kind (`job`), or one not succeeded (`state`)."""
    if job.kind != "batch_inference":
        raise field_error("job", f"a {job.kind} job makes no predictions", code="no_predictions")
    if job.state != JobState.SUCCEEDED:
        raise field_error("state", f"the job is {job.state}; predictions exist once it has succeeded",
                          code="not_ready")
    name = job.result["output_path"]
    return name, f"predictions-job-{job.pk}.{name.rsplit('.', 1)[-1]}"


def predictions_response(*, job: Job) -> FileResponse:
    """The predictions streamed from storage in chunks, as an attachment."""
    name, filename = predictions_file(job=job)
    return FileResponse(artifact_storage().open(name, "rb"), as_attachment=True, filename=filename)
