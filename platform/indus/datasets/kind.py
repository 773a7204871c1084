"""The job kinds that make dataset versions. Their own services submit them (an upload, a
sample, an SQL query: `indus.datasets.services`), not the jobs endpoint."""
from indus.plugins.job_kind import JobKind, MadeLink, ProjectObject


def _dataset_version_label(version, with_project: bool) -> str:
    prefix = f"{version.dataset.project.slug}/" if with_project else ""
    return f"{prefix}{version.dataset.name} v{version.number} ({version.row_count:,} rows)"


DATASET_VERSION = ProjectObject(
    model="datasets.DatasetVersion",
    noun="dataset version",
    project_path="dataset__project",
    admin_url="admin:datasets_datasetversion_change",
    select_related=("dataset__project",),
    ordering=("dataset__project__slug", "dataset__name", "-number"),
    label=_dataset_version_label,
)

MADE_DATASET_VERSION = MadeLink(
    id="job-dataset-version",
    result_key="dataset_version_id",
    references=DATASET_VERSION,
    label=lambda result: f"Made dataset version v{result.get('version', '')}",
)

# A retried import is one of the dataset's imports from when it is queued, as the first was.
RECORD_RETRY = "indus.datasets.services.dataset_import_record_retry"

IMPORT = JobKind(
    name="import",
    queue="cpu",
    runner="indus.datasets.importing.run_import_job",
    after_success="indus.datasets.importing.discard_upload",
    after_retry=RECORD_RETRY,
    made=(MADE_DATASET_VERSION,),
)
SAMPLE = JobKind(
    name="sample", queue="cpu", runner="indus.datasets.sampling.run_sample_job", after_retry=RECORD_RETRY,
    made=(MADE_DATASET_VERSION,),
)
SQL_IMPORT = JobKind(
    name="sql_import",
    queue="cpu",
    runner="indus.datasets.sql_import.run_sql_import_job",
    after_final="indus.datasets.sql_credentials.sql_connection_discard_after_job",
    after_retry=RECORD_RETRY,
    made=(MADE_DATASET_VERSION,),
)

KINDS = [IMPORT, SAMPLE, SQL_IMPORT]
