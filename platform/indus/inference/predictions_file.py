"""The predictions a batch-inference job wrote, as a download: one rule for the API and the admin."""
import logging
from pathlib import PurePosixPath

from django.http import FileResponse, Http404

from indus.core.errors import field_error
from indus.core.storage import open_file_within
from indus.jobs.models import Job
from indus.jobs.states import JobState

logger = logging.getLogger(__name__)


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


def job_output_folder(job: Job, name: str) -> str | None:
    """The job's own output folder, `predictions/<project slug>/job-<id>` (where
    indus.inference.runner stores them), if `name` lies in it. The job's id alone makes the
    folder the job's: the slug is the one the project had when the job ran."""
    folder = PurePosixPath(name).parent
    if len(folder.parts) != 3 or folder.parts[0] != "predictions" or folder.parts[2] != f"job-{job.pk}":
        return None
    return str(folder)


def predictions_response(*, job: Job) -> FileResponse:
    """The predictions streamed from storage in chunks, as an attachment. Only a regular file
    inside the job's own folder is served, as the model zip serves only its folder's files: a
    file replaced by a link, or a result naming a path elsewhere, is refused."""
    name, filename = predictions_file(job=job)
    folder = job_output_folder(job, str(name))
    predictions = open_file_within(str(name), folder) if folder else None
    if predictions is None:
        logger.warning("job %s: refused to serve predictions %r: not a regular file in the job's folder", job.pk, name)
        raise Http404(f"the predictions of job {job.pk} are not available: the stored file is missing or is not "
                      "a regular file inside the job's folder")
    return FileResponse(predictions, as_attachment=True, filename=filename)
