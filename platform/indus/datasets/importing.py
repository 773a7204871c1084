"""The `import` job: read an uploaded file into a new dataset version.

It runs on a `cpu` worker. The file is read twice, both times as a stream: once to hash it
(the version's address) and check its text encoding, once to convert it to Parquet while
profiling each column (see `snapshots`).
"""
from contextlib import suppress
from pathlib import Path

from indus.core.storage import artifact_storage
from indus.datasets import snapshots
from indus.datasets.models import Dataset, DatasetVersion
from indus.datasets.readers import DatasetReadError, check_text_encoding, iter_record_batches
from indus.jobs.execution import JobContext, JobInputError


def run_import_job(context: JobContext) -> dict:
    spec = context.spec
    dataset = Dataset.objects.get(pk=spec["dataset_id"])
    storage = artifact_storage()
    upload_path = spec["upload_path"]
    if not storage.exists(upload_path):
        raise JobInputError(f"the uploaded file {spec['original_name']!r} is no longer stored")

    context.report_progress(0.0, "checking the file")
    with storage.open(upload_path, "rb") as stream:
        sha256, size_bytes = snapshots.sha256_of(stream)
        if spec["format"] in ("csv", "jsonl"):
            stream.seek(0)
            try:
                check_text_encoding(stream, spec["encoding"])
            except DatasetReadError as error:
                raise JobInputError(str(error)) from None
    if existing := snapshots.existing_version(dataset, sha256):
        context.log(f"same content as version {existing.number}; no new version made")
        return snapshots.version_result(existing, created=False)

    with snapshots.scratch_parquet_file() as parquet_file, storage.open(upload_path, "rb") as stream:
        batches = iter_record_batches(stream, spec["format"], encoding=spec["encoding"], delimiter=spec["delimiter"])
        profiler = snapshots.write_parquet(
            context, _read_errors_as_input_errors(batches), parquet_file.name,
            progress=lambda: stream.tell() / size_bytes,
        )
        snapshots.check_against_task(context, parquet_file.name)
        return snapshots.store_version(
            context,
            dataset=dataset,
            parquet_file=parquet_file,
            sha256=sha256,
            size_bytes=size_bytes,
            profiler=profiler,
            source=DatasetVersion.Source.UPLOAD,
            source_name=spec["original_name"],
        )


def discard_upload(spec: dict) -> None:
    """The staged upload, once its import succeeded: the version holds the data now. A failed
    or cancelled import keeps it, for a retry."""
    storage = artifact_storage()
    storage.delete(spec["upload_path"])
    try:
        folder = Path(storage.path(spec["upload_path"])).parent  # each upload has its own folder
    except NotImplementedError:  # an object store: no folders to leave behind
        return
    with suppress(OSError):  # not empty, or already gone: leave it
        folder.rmdir()


def _read_errors_as_input_errors(batches):
    try:
        yield from batches
    except DatasetReadError as error:
        raise JobInputError(str(error)) from None
