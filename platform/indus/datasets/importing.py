"""The `import` job: read an uploaded file into a new dataset version.

It runs on a `cpu` worker. The file is read twice, both times as a stream: once to hash it
(the version's address) and check its text encoding, once to convert it to Parquet while
profiling each column (see `snapshots`). The second read checks the rows against the
import limits (`ReadLimits`: rows, decoded bytes, bytes of one value) before they are decoded,
so a small file that expands to gigabytes fails the job instead of the worker.
"""
from contextlib import contextmanager, suppress
from pathlib import Path

from indus.core.storage import artifact_storage, local_file
from indus.datasets import snapshots
from indus.datasets.models import DatasetVersion
from indus.datasets.readers import (
    DatasetReadError,
    ReadLimits,
    check_text_encoding,
    check_within_limits,
    iter_record_batches,
)
from indus.jobs.execution import JobContext, JobInputError


def run_import_job(context: JobContext) -> dict:
    spec = context.spec
    dataset = snapshots.dataset_of_import(context, source_name=spec["original_name"])
    storage = artifact_storage()
    upload_path = spec["upload_path"]
    if not storage.exists(upload_path):
        raise JobInputError(f"the uploaded file {spec['original_name']!r} is no longer stored")

    context.report_progress(0.0, "checking the file")
    with storage.open(upload_path, "rb") as stream:
        sha256, size_bytes = snapshots.sha256_of(stream)
        if spec["format"] in ("csv", "jsonl"):
            stream.seek(0)
            with _read_errors_as_job_input_errors():
                check_text_encoding(stream, spec["encoding"])
    limits = ReadLimits.from_settings()
    if existing := snapshots.existing_version(dataset, sha256):
        if spec.get("task"):  # the same content may come under another task than the version's
            # The version may predate the import limits: the check reads its rows only within them.
            with storage.open(upload_path, "rb") as stream, _read_errors_as_job_input_errors():
                check_within_limits(stream, spec["format"], encoding=spec["encoding"], delimiter=spec["delimiter"],
                                    limits=limits)
            with local_file(existing.data_path) as stored_path:
                snapshots.check_against_task(context, stored_path)
        return snapshots.reuse_version(context, existing)

    with snapshots.scratch_parquet_file() as parquet_file, storage.open(upload_path, "rb") as stream:
        batches = iter_record_batches(stream, spec["format"], encoding=spec["encoding"], delimiter=spec["delimiter"],
                                      limits=limits)
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


@contextmanager
def _read_errors_as_job_input_errors():
    try:
        yield
    except DatasetReadError as error:
        raise JobInputError(str(error)) from None


def _read_errors_as_input_errors(batches):
    with _read_errors_as_job_input_errors():
        yield from batches
