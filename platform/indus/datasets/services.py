import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import get_valid_filename

from indus.core.errors import field_error
from indus.core.storage import artifact_storage
from indus.datasets.formats import FORMATS_BY_SUFFIX, format_for_filename, text_encoding_problem
from indus.datasets.models import Dataset, DatasetImport, DatasetVersion, DatasetVersionPreview
from indus.datasets.sql_checks import checked_read_only_query, checked_url
from indus.datasets.sql_credentials import sql_connection_create, sql_connections_expire
from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.tenancy.services import audit_entry_create


@transaction.atomic
def dataset_create(*, project, name: str, description: str = "", created_by=None) -> Dataset:
    dataset = _dataset_save(project=project, name=name, description=description, created_by=created_by)
    audit_entry_create(action="dataset.create", target=dataset, project=project, summary={"name": dataset.name})
    return dataset


@transaction.atomic
def dataset_create_with_upload(
    *, project, name: str, description: str = "", created_by=None, file: File, **upload
) -> Job:
    """A new dataset and the job importing its first file (the admin's "upload a dataset"):
    one change, so one `dataset.create` entry, about the dataset, naming the upload. A refused
    file refuses the whole, and no dataset is left behind."""
    dataset = _dataset_save(project=project, name=name, description=description, created_by=created_by)
    job = dataset_upload(dataset=dataset, file=file, created_by=created_by, audit_action=None, **upload)
    audit_entry_create(action="dataset.create", target=dataset, project=project, summary={
        "name": dataset.name, "upload": {"job": job.pk, "file": job.dataset_import.source_name}})
    return job


def _dataset_save(*, project, name: str, description: str, created_by) -> Dataset:
    if Dataset.objects.filter(project=project, name=name).exists():
        raise field_error("name", f"project {project.slug} already has a dataset named {name!r}", code="duplicate")
    dataset = Dataset(project=project, name=name, description=description, created_by=created_by)
    dataset.full_clean()
    dataset.save()
    return dataset


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:.1f} MB"


MAX_SAMPLE_ROWS = 1_000_000


def _checked_task_name(task: str | None) -> str | None:
    """The task a dataset is meant for, if given, must be one a loaded plugin provides."""
    if task is None:
        return None
    from indus.plugins.manager import get_registry

    if task not in get_registry().tasks:
        raise field_error("task", f"no loaded plugin provides task {task!r}", code="unknown_task")
    return task


def dataset_upload(
    *,
    dataset: Dataset,
    file: File,
    created_by=None,
    encoding: str = "utf-8",
    delimiter: str = ",",
    task: str | None = None,
    audit_action: str | None = "dataset.upload",
) -> Job:
    """Store an uploaded file and queue the job that imports it as a new version.

    Everything that can be checked without reading the file is checked here, so a bad upload
    is refused at once and nothing is stored; the worker checks the content. `audit_action`
    None: the caller records the upload as part of its own change.
    """
    # Only the last part of the client's name is kept: it names the file, never a place.
    filename = get_valid_filename(PurePosixPath((file.name or "").replace("\\", "/")).name or "upload")
    fmt = format_for_filename(filename)
    if fmt is None:
        raise field_error(
            "file",
            f"cannot import {filename!r}: the file type is not supported; "
            f"use one of {', '.join(sorted(FORMATS_BY_SUFFIX))}",
            code="unsupported_type",
        )
    if not file.size:
        raise field_error("file", "the file is empty", code="empty")
    if file.size > settings.INDUS_MAX_UPLOAD_BYTES:
        raise field_error(
            "file",
            f"the file is {_megabytes(file.size)}; uploads are limited to "
            f"{_megabytes(settings.INDUS_MAX_UPLOAD_BYTES)}",
            code="too_large",
        )
    if problem := text_encoding_problem(encoding):
        raise field_error("encoding", problem, code="unknown_encoding")
    if len(delimiter) != 1:
        raise field_error("delimiter", "the delimiter must be a single character")
    _check_file_start(file, fmt, encoding)
    task = _checked_task_name(task)
    upload_path = artifact_storage().save(f"uploads/{uuid.uuid4().hex}/{filename}", file)
    return _import_job_create(
        dataset=dataset,
        task=task,
        source_name=filename,
        kind="import",
        created_by=created_by,
        audit_action=audit_action,
        audit_summary={"dataset": dataset.name, "file": filename},
        spec={
            "dataset_id": dataset.pk,
            "upload_path": upload_path,
            "original_name": filename,
            "format": fmt,
            "encoding": encoding,
            "delimiter": delimiter,
            "task": task,
        },
    )


SNIFF_BYTES = 64 * 1024
PARQUET_MAGIC = b"PAR1"


def _check_file_start(file: File, fmt: str, encoding: str) -> None:
    """Refuse at once a file whose first bytes already show it cannot be what its name says
    (an image renamed .csv, a spreadsheet renamed .parquet); the import job checks the rest."""
    file.seek(0)
    start = file.read(SNIFF_BYTES)
    file.seek(0)
    if fmt == "parquet":
        if not start.startswith(PARQUET_MAGIC):
            raise field_error("file", "not a Parquet file: it does not start with the Parquet signature", code="malformed")
        return
    if b"\x00" in start and not encoding.lower().replace("-", "").startswith(("utf16", "utf32")):
        raise field_error("file", f"the file is binary, not {fmt.upper()} text", code="malformed")
    # Text in the wrong encoding is left to the import job, which names the first bad line.
    first_line = start.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)
    if fmt == "jsonl" and len(first_line) > 1 and first_line[0].strip() and not first_line[0].lstrip().startswith("{"):
        raise field_error("file", "line 1 is not a JSON object; JSON Lines has one object per line", code="malformed")


def dataset_generate_sample(
    *, dataset: Dataset, sample: str, rows: int | None = None, seed: int = 0, created_by=None
) -> Job:
    """Queue the job that stores a plugin's sample data as a new version of the dataset."""
    from indus.plugins.manager import get_registry

    declared = get_registry().samples.get(sample)
    if declared is None:
        raise field_error("sample", f"no loaded plugin provides sample dataset {sample!r}", code="unknown_sample")
    rows = declared.default_rows if rows is None else rows
    if not 1 <= rows <= MAX_SAMPLE_ROWS:
        raise field_error("rows", f"rows must be between 1 and {MAX_SAMPLE_ROWS}")
    return _import_job_create(
        dataset=dataset,
        task=declared.task,
        source_name=sample,
        kind="sample",
        created_by=created_by,
        audit_action="dataset.from_sample",
        audit_summary={"dataset": dataset.name},
        spec={"dataset_id": dataset.pk, "sample": sample, "rows": rows, "seed": seed, "task": declared.task},
    )


def dataset_import_sql(
    *, dataset: Dataset, url: str, query: str, task: str | None = None, timeout_seconds: int | None = None,
    keep_credentials: bool = False, created_by=None,
) -> Job:
    """Queue the job that snapshots a read-only query's rows as a new version of the dataset.

    The URL (it may hold a password) is stored encrypted, apart from the job's spec, which every
    member of the project can read; the spec shows it with the password hidden. It is deleted
    when the import ends, unless `keep_credentials` keeps it for the user's own retries (then
    INDUS_SQL_KEPT_CREDENTIALS_DAYS at most). The URL's host is looked up before the
    transaction opens: no database connection waits in a transaction while a resolver answers.
    """
    checked = checked_url(url)
    query = checked_read_only_query(query)
    limit = settings.INDUS_SQL_IMPORT_TIMEOUT_SECONDS
    timeout_seconds = limit if timeout_seconds is None else timeout_seconds
    if not 1 <= timeout_seconds <= limit:
        raise field_error("timeout_seconds", f"must be between 1 and {limit} (INDUS_SQL_IMPORT_TIMEOUT_SECONDS)")
    task = _checked_task_name(task)
    sql_connections_expire()
    return _sql_import_create(dataset=dataset, checked=checked, query=query, task=task,
                              timeout_seconds=timeout_seconds, keep_credentials=keep_credentials,
                              created_by=created_by)


@transaction.atomic
def _sql_import_create(*, dataset: Dataset, checked, query: str, task: str | None, timeout_seconds: int,
                       keep_credentials: bool, created_by) -> Job:
    connection = sql_connection_create(
        dataset=dataset, url=checked, keep_after_import=keep_credentials, created_by=created_by
    )
    return _import_job_create(
        dataset=dataset,
        task=task,
        source_name="",
        kind="sql_import",
        created_by=created_by,
        audit_action="dataset.from_sql",
        audit_summary={"dataset": dataset.name},
        spec={
            "dataset_id": dataset.pk,
            "connection_id": connection.pk,
            "url": checked.render_as_string(hide_password=True),
            "query": query,
            "timeout_seconds": timeout_seconds,
            "task": task,
        },
    )


@transaction.atomic
def _import_job_create(*, dataset: Dataset, task: str | None, source_name: str, **job) -> Job:
    """Queue a job that imports data into the dataset, recorded as one of the dataset's imports."""
    created = job_create(project=dataset.project, **job)
    dataset_import_record(job_id=created.pk, dataset=dataset, task=task, source_name=source_name)
    return created


def dataset_import_record(*, job_id: int, dataset: Dataset, task: str | None, source_name: str = "") -> DatasetImport:
    """The job as one of the dataset's imports. The import runners call it as well, for a job
    queued before retries were recorded when they are queued (`dataset_import_record_retry`)."""
    record, _ = DatasetImport.objects.get_or_create(
        job_id=job_id, defaults={"dataset": dataset, "task": task or "", "source_name": source_name[:255]}
    )
    return record


def dataset_import_record_retry(*, retry: Job, of: Job) -> None:
    """A retry of an import, recorded as one of the dataset's imports when it is queued, with
    the first one's dataset, task and file name (the kinds' `after_retry`)."""
    first = DatasetImport.objects.filter(job=of).first()
    if first is not None:
        dataset_import_record(job_id=retry.pk, dataset=first.dataset, task=first.task, source_name=first.source_name)


def dataset_import_resolve(*, job_id: int, version: DatasetVersion) -> None:
    """The import's data is stored as `version` and fits the import's task: from now on the
    version counts that task among those it was checked against."""
    DatasetImport.objects.filter(job_id=job_id, dataset_id=version.dataset_id).update(version=version)


def dataset_version_create(
    *,
    dataset: Dataset,
    sha256: str,
    source: DatasetVersion.Source,
    data_path: str,
    size_bytes: int,
    row_count: int,
    columns: list[dict],
    profile: dict,
    source_name: str = "",
    import_job: Job | None = None,
    created_by=None,
    preview: dict | None = None,
) -> tuple[DatasetVersion, bool]:
    """The version with this content, created with the next number if it is new, with its
    stored `preview` ({rows, first_cut_row}: see DatasetVersionPreview); the import job's data
    (checked before it is stored) is that version's."""
    version, created = _dataset_version_get_or_create(
        dataset=dataset, sha256=sha256, source=source, data_path=data_path, size_bytes=size_bytes,
        row_count=row_count, columns=columns, profile=profile, source_name=source_name,
        import_job=import_job, created_by=created_by, preview=preview,
    )
    if import_job is not None:
        dataset_import_resolve(job_id=import_job.pk, version=version)
    return version, created


def _dataset_version_get_or_create(*, dataset: Dataset, sha256: str, preview: dict | None,
                                   **fields) -> tuple[DatasetVersion, bool]:
    existing = DatasetVersion.objects.filter(dataset=dataset, sha256=sha256).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
            last = dataset.versions.aggregate(last=Max("number"))["last"] or 0
            version = DatasetVersion.objects.create(dataset=dataset, number=last + 1, sha256=sha256, **fields)
            if preview is not None:
                DatasetVersionPreview.objects.create(version=version, **preview)
    except IntegrityError:
        # Another import of the same content won the race: that version is this one.
        return DatasetVersion.objects.get(dataset=dataset, sha256=sha256), False
    return version, True
