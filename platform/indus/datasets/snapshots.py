"""Turning a stream of record batches into a stored, profiled, validated dataset version.

Every way of making a version (an upload, a plugin's sample, an SQL query) ends here:
the batches are written to a local Parquet file while each column is profiled, the result is
checked against the task the user named, and only then is the file stored under its content
hash and the version row written. A failure at any step leaves existing versions untouched.
"""
import hashlib
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pa_parquet
from django.conf import settings
from django.core.files import File

from indus.core.json import json_safe
from indus.core.storage import artifact_storage
from indus.datasets.models import Dataset, DatasetVersion, DatasetVersionPreview
from indus.datasets.profiling import DatasetProfiler
from indus.datasets.readers import read_preview
from indus.datasets.services import dataset_import_record, dataset_import_resolve, dataset_version_create
from indus.jobs.execution import JobContext, JobInputError
from indus.jobs.models import Job

HASH_CHUNK = 4 * 1024**2


def sha256_of(stream) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@contextmanager
def scratch_parquet_file():
    scratch_dir = Path(settings.VAR_DIR) / "tmp"
    scratch_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=scratch_dir, suffix=".parquet") as handle:
        yield handle


def write_parquet(
    context: JobContext, batches: Iterator[pa.RecordBatch], parquet_path: str, progress: Callable[[], float]
) -> DatasetProfiler:
    """Write the batches to `parquet_path`, profiling as it goes; fails on an empty stream."""
    writer = profiler = None
    try:
        for batch in batches:
            if writer is None:
                check_column_names(batch.schema)
                writer = pa_parquet.ParquetWriter(parquet_path, batch.schema)
                profiler = DatasetProfiler(batch.schema)
            writer.write_batch(batch)
            profiler.add(batch)
            context.report_progress(min(progress(), 0.95), f"{profiler.row_count} rows read")
            context.raise_if_cancelled()
    except pa.ArrowInvalid as error:  # a schema change between Parquet row groups, say
        raise JobInputError(str(error)) from None
    finally:
        if writer is not None:
            writer.close()
    if profiler is None or profiler.row_count == 0:
        raise JobInputError("the file has no data rows")
    return profiler


def check_column_names(schema: pa.Schema) -> None:
    for position, name in enumerate(schema.names, start=1):
        if not name.strip():
            raise JobInputError(f"column #{position} has no name")
    repeated = [name for name, count in Counter(schema.names).items() if count > 1]
    if repeated:
        raise JobInputError(f"column names must be unique; repeated: {', '.join(map(repr, repeated))}")


def check_against_task(context: JobContext, parquet_path: str) -> None:
    """Refuse the data if it does not fit the task the user named when submitting it."""
    task_name = context.spec.get("task")
    if not task_name:
        return
    from indus.plugins.dataset_validation import check_parquet_file
    from indus.plugins.manager import get_registry

    task = get_registry().tasks.get(task_name)
    if task is None:
        raise JobInputError(f"task {task_name!r} is not provided by any loaded plugin")
    check_parquet_file(task, parquet_path)


def reuse_version(context: JobContext, version: DatasetVersion) -> dict:
    """The job's data is already stored as `version`, and it fits the job's task (checked
    before this): the version now also counts that task among those it fits."""
    dataset_import_resolve(job_id=context.job_id, version=version)
    context.log(f"same content as version {version.number}; no new version made")
    return version_result(version, created=False)


def dataset_of_import(context: JobContext, *, source_name: str = "") -> Dataset:
    """The dataset the job imports into, with the job recorded as one of its imports (a
    retried job is a new one, not yet recorded)."""
    dataset = Dataset.objects.get(pk=context.spec["dataset_id"])
    dataset_import_record(job_id=context.job_id, dataset=dataset, task=context.spec.get("task"), source_name=source_name)
    return dataset


def store_batches(
    context: JobContext,
    *,
    dataset: Dataset,
    batches: Iterator[pa.RecordBatch],
    progress: Callable[[], float],
    source: DatasetVersion.Source,
    source_name: str,
) -> dict:
    """Batches this job produced (a sample, a query's rows) as a version: written to Parquet,
    checked against the task, and addressed by the hash of that file; the same content again
    is the existing version."""
    with scratch_parquet_file() as parquet_file:
        profiler = write_parquet(context, batches, parquet_file.name, progress=progress)
        check_against_task(context, parquet_file.name)
        with open(parquet_file.name, "rb") as written_file:
            sha256, size_bytes = sha256_of(written_file)
        if existing := existing_version(dataset, sha256):
            return reuse_version(context, existing)
        return store_version(context, dataset=dataset, parquet_file=parquet_file, sha256=sha256,
                             size_bytes=size_bytes, profiler=profiler, source=source, source_name=source_name)


def existing_version(dataset: Dataset, sha256: str) -> DatasetVersion | None:
    return DatasetVersion.objects.filter(dataset=dataset, sha256=sha256).first()


def store_version(
    context: JobContext,
    *,
    dataset: Dataset,
    parquet_file,
    sha256: str,
    size_bytes: int,
    profiler: DatasetProfiler,
    source: DatasetVersion.Source,
    source_name: str,
) -> dict:
    data_path = artifact_storage().save(f"datasets/{dataset.pk}/{sha256}.parquet", File(parquet_file))
    job = Job.objects.select_related("created_by").get(pk=context.job_id)
    version, created = dataset_version_create(
        dataset=dataset,
        sha256=sha256,
        source=source,
        source_name=source_name,
        data_path=data_path,
        size_bytes=size_bytes,
        row_count=profiler.row_count,
        columns=[{"name": c.name, "type": str(c.arrow_type)} for c in profiler.columns],
        profile=profiler.as_dict(),
        import_job=job,
        created_by=job.created_by,  # who imported it, not the dataset's owner
        preview=preview_of(parquet_file.name),
    )
    context.log(f"stored {profiler.row_count} rows as version {version.number}")
    return version_result(version, created=created)


def preview_of(parquet_source) -> dict:
    """The preview stored with a version (DatasetVersionPreview's fields), read from its file
    within INDUS_PREVIEW_MAX_BYTES: a version stored before the import limits may be a bomb."""
    preview = read_preview(parquet_source, rows=DatasetVersionPreview.MAX_ROWS,
                           max_bytes=settings.INDUS_PREVIEW_MAX_BYTES, value_chars=DatasetVersionPreview.VALUE_CHARS)
    return {"rows": json_safe(preview.rows), "first_cut_row": preview.first_cut_row}


def version_result(version: DatasetVersion, *, created: bool) -> dict:
    return {
        "dataset_version_id": version.pk,
        "version": version.number,
        "row_count": version.row_count,
        "sha256": version.sha256,
        "created": created,
    }


def table_version_store(*, dataset: Dataset, table: pa.Table, source: DatasetVersion.Source, source_name: str,
                        created_by=None) -> tuple[DatasetVersion, bool]:
    """A table made by the platform itself (served requests, say), not read from a user's file:
    written to Parquet and profiled as an import's batches are, stored under its content hash,
    with its preview; the same content again is the existing version."""
    check_column_names(table.schema)
    profiler = DatasetProfiler(table.schema)
    with scratch_parquet_file() as parquet_file:
        with pa_parquet.ParquetWriter(parquet_file.name, table.schema) as writer:
            for batch in table.to_batches():
                writer.write_batch(batch)
                profiler.add(batch)
        with open(parquet_file.name, "rb") as written_file:
            sha256, size_bytes = sha256_of(written_file)
        if existing := existing_version(dataset, sha256):
            return existing, False
        data_path = artifact_storage().save(f"datasets/{dataset.pk}/{sha256}.parquet", File(parquet_file))
        return dataset_version_create(
            dataset=dataset, sha256=sha256, source=source, source_name=source_name, data_path=data_path,
            size_bytes=size_bytes, row_count=profiler.row_count,
            columns=[{"name": c.name, "type": str(c.arrow_type)} for c in profiler.columns],
            profile=profiler.as_dict(), created_by=created_by, preview=preview_of(parquet_file.name),
        )
