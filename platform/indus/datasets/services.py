import codecs
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import get_valid_filename

from indus.core.errors import field_error
from indus.core.storage import artifact_storage
from indus.datasets.formats import FORMATS_BY_SUFFIX, format_for_filename
from indus.datasets.models import Dataset, DatasetVersion, SqlConnection
from indus.datasets.sql_checks import checked_read_only_query, checked_url
from indus.jobs.models import Job
from indus.jobs.services import job_create


def dataset_create(*, project, name: str, description: str = "", created_by=None) -> Dataset:
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
) -> Job:
    """Store an uploaded file and queue the job that imports it as a new version.

    Everything that can be checked without reading the file is checked here, so a bad upload
    is refused at once and nothing is stored; the worker checks the content.
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
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise field_error("encoding", f"unknown text encoding {encoding!r}") from None
    if len(delimiter) != 1:
        raise field_error("delimiter", "the delimiter must be a single character")
    _check_file_start(file, fmt, encoding)
    task = _checked_task_name(task)
    upload_path = artifact_storage().save(f"uploads/{uuid.uuid4().hex}/{filename}", file)
    return job_create(
        project=dataset.project,
        kind="import",
        created_by=created_by,
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
    return job_create(
        project=dataset.project,
        kind="sample",
        created_by=created_by,
        spec={"dataset_id": dataset.pk, "sample": sample, "rows": rows, "seed": seed, "task": declared.task},
    )


@transaction.atomic
def dataset_import_sql(
    *, dataset: Dataset, url: str, query: str, task: str | None = None, timeout_seconds: int | None = None,
    created_by=None,
) -> Job:
    """Queue the job that snapshots a read-only query's rows as a new version of the dataset.

    The URL (it may hold a password) is stored apart from the job's spec, which every member
    of the project can read; the spec shows it with the password hidden.
    """
    checked = checked_url(url)
    query = checked_read_only_query(query)
    limit = settings.INDUS_SQL_IMPORT_TIMEOUT_SECONDS
    timeout_seconds = limit if timeout_seconds is None else timeout_seconds
    if not 1 <= timeout_seconds <= limit:
        raise field_error("timeout_seconds", f"must be between 1 and {limit} (INDUS_SQL_IMPORT_TIMEOUT_SECONDS)")
    task = _checked_task_name(task)
    connection = SqlConnection.objects.create(
        dataset=dataset, url=checked.render_as_string(hide_password=False), created_by=created_by
    )
    return job_create(
        project=dataset.project,
        kind="sql_import",
        created_by=created_by,
        spec={
            "dataset_id": dataset.pk,
            "connection_id": connection.pk,
            "url": checked.render_as_string(hide_password=True),
            "query": query,
            "timeout_seconds": timeout_seconds,
            "task": task,
        },
    )


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
) -> tuple[DatasetVersion, bool]:
    """The version with this content, created with the next number if it is new."""
    existing = DatasetVersion.objects.filter(dataset=dataset, sha256=sha256).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
            last = dataset.versions.aggregate(last=Max("number"))["last"] or 0
            version = DatasetVersion.objects.create(
                dataset=dataset,
                number=last + 1,
                sha256=sha256,
                source=source,
                source_name=source_name,
                data_path=data_path,
                size_bytes=size_bytes,
                row_count=row_count,
                columns=columns,
                profile=profile,
                import_job=import_job,
                created_by=created_by,
            )
    except IntegrityError:
        # Another import of the same content won the race: that version is this one.
        return DatasetVersion.objects.get(dataset=dataset, sha256=sha256), False
    return version, True
