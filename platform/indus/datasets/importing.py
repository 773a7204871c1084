"""The `import` job: read an uploaded file into a new dataset version.

It runs on a `cpu` worker. The file is read twice, both times as a stream: once to hash it (the
version's address) and check its text encoding, once to convert it to Parquet while profiling
each column. The Parquet file is stored under its hash only when the whole file has been read,
so a bad file leaves every existing version as it was.
"""
import hashlib
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pa_parquet
from django.conf import settings
from django.core.files import File

from indus.core.storage import artifact_storage
from indus.datasets.models import Dataset, DatasetVersion
from indus.datasets.profiling import DatasetProfiler
from indus.datasets.readers import DatasetReadError, check_text_encoding, iter_record_batches
from indus.datasets.services import dataset_version_create
from indus.jobs.execution import JobContext, JobInputError
from indus.jobs.models import Job

HASH_CHUNK = 4 * 1024**2


def run_import_job(context: JobContext) -> dict:
    spec = context.spec
    dataset = Dataset.objects.get(pk=spec["dataset_id"])
    storage = artifact_storage()
    upload_path = spec["upload_path"]
    if not storage.exists(upload_path):
        raise JobInputError(f"the uploaded file {spec['original_name']!r} is no longer stored")

    context.report_progress(0.0, "checking the file")
    with storage.open(upload_path, "rb") as stream:
        sha256, size_bytes = _hash(stream)
        if spec["format"] in ("csv", "jsonl"):
            stream.seek(0)
            _checked(check_text_encoding, stream, spec["encoding"])
    existing = DatasetVersion.objects.filter(dataset=dataset, sha256=sha256).first()
    if existing:
        context.log(f"same content as version {existing.number}; no new version made")
        return _result(existing, created=False)

    scratch_dir = Path(settings.VAR_DIR) / "tmp"
    scratch_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=scratch_dir, suffix=".parquet") as parquet_file:
        with storage.open(upload_path, "rb") as stream:
            profiler = _convert_to_parquet(context, stream, parquet_file.name, size_bytes)
        if profiler.row_count == 0:
            raise JobInputError("the file has no data rows")
        data_path = storage.save(f"datasets/{dataset.pk}/{sha256}.parquet", File(parquet_file))

    version, created = dataset_version_create(
        dataset=dataset,
        sha256=sha256,
        source=DatasetVersion.Source.UPLOAD,
        source_name=spec["original_name"],
        data_path=data_path,
        size_bytes=size_bytes,
        row_count=profiler.row_count,
        columns=[{"name": c.name, "type": str(c.arrow_type)} for c in profiler.columns],
        profile=profiler.as_dict(),
        import_job=Job.objects.get(pk=context.job_id),
        created_by=dataset.created_by,
    )
    context.log(f"imported {profiler.row_count} rows into version {version.number}")
    return _result(version, created=created)


def _result(version: DatasetVersion, *, created: bool) -> dict:
    return {
        "dataset_version_id": version.pk,
        "version": version.number,
        "row_count": version.row_count,
        "sha256": version.sha256,
        "created": created,
    }


def _checked(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except DatasetReadError as error:
        raise JobInputError(str(error)) from None


def _hash(stream) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _convert_to_parquet(context: JobContext, stream, parquet_path: str, size_bytes: int) -> DatasetProfiler:
    spec = context.spec
    batches = iter_record_batches(stream, spec["format"], encoding=spec["encoding"], delimiter=spec["delimiter"])
    writer = profiler = None
    try:
        for batch in _checked_batches(batches):
            if writer is None:
                _check_column_names(batch.schema)
                writer = pa_parquet.ParquetWriter(parquet_path, batch.schema)
                profiler = DatasetProfiler(batch.schema)
            writer.write_batch(batch)
            profiler.add(batch)
            context.report_progress(min(stream.tell() / size_bytes, 0.99), f"{profiler.row_count} rows read")
            context.raise_if_cancelled()
    finally:
        if writer is not None:
            writer.close()
    if profiler is None:
        raise JobInputError("the file has no data rows")
    return profiler


def _checked_batches(batches):
    try:
        yield from batches
    except DatasetReadError as error:
        raise JobInputError(str(error)) from None
    except pa.ArrowInvalid as error:  # a schema change between Parquet row groups, say
        raise JobInputError(str(error)) from None


def _check_column_names(schema: pa.Schema) -> None:
    for position, name in enumerate(schema.names, start=1):
        if not name.strip():
            raise JobInputError(f"column #{position} has no name")
    repeated = [name for name, count in Counter(schema.names).items() if count > 1]
    if repeated:
        raise JobInputError(f"column names must be unique; repeated: {', '.join(map(repr, repeated))}")
