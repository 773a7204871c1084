import pyarrow.parquet as pa_parquet
from django.db.models import Max, QuerySet

from indus.core.json import json_safe
from indus.core.storage import local_file
from indus.datasets.models import Dataset, DatasetVersion
from indus.jobs.models import Job


def dataset_list(*, project) -> QuerySet[Dataset]:
    return Dataset.objects.filter(project=project).select_related("created_by").annotate(
        latest_version=Max("versions__number")
    ).order_by("name")  # an aggregate drops the model's default ordering


def dataset_version_list(*, dataset: Dataset) -> QuerySet[DatasetVersion]:
    return dataset.versions.select_related("created_by").order_by("-number")


def dataset_version_preview(*, version: DatasetVersion, rows: int) -> dict:
    """The first `rows` rows of the version, as JSON-safe {column: value} objects; only the
    first row group of the Parquet file is read."""
    with local_file(version.data_path) as path:
        parquet = pa_parquet.ParquetFile(path)
        first = next(parquet.iter_batches(batch_size=rows), None)
        columns = parquet.schema_arrow.names
    return {"columns": columns, "rows": json_safe(first.to_pylist()) if first is not None else []}


def dataset_version_latest(*, dataset: Dataset) -> DatasetVersion | None:
    return dataset.versions.order_by("-number").first()


IMPORT_JOB_KINDS = ("import", "sample", "sql_import")


def dataset_import_jobs(*, dataset: Dataset, limit: int = 10) -> QuerySet[Job]:
    """The most recent jobs that import data into the dataset (uploads, samples, SQL)."""
    return Job.objects.filter(
        project_id=dataset.project_id, kind__in=IMPORT_JOB_KINDS, spec__dataset_id=dataset.pk
    ).select_related("created_by").order_by("-created_at", "-id")[:limit]


def dataset_version_task_name(*, version: DatasetVersion) -> str | None:
    """The task the version's data was checked against when it was imported, if one was named."""
    job = version.import_job
    if job is None:
        return None
    return (job.spec or {}).get("task") or None


def dataset_version_value_counts(*, version: DatasetVersion, column: str, limit: int = 30) -> dict:
    """How often each value of one column occurs, most frequent first: the `limit` most
    frequent values, the rows of all the others together, and the missing ones. Only that
    column of the Parquet file is read."""
    with local_file(version.data_path) as path:
        values = pa_parquet.read_table(path, columns=[column]).column(0)
    missing = values.null_count
    counts = values.drop_null().value_counts()
    pairs = sorted(
        zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()),
        key=lambda pair: (-pair[1], str(pair[0])),
    )
    return {
        "values": [{"value": value, "count": count} for value, count in json_safe(pairs[:limit])],
        "other": sum(count for _, count in pairs[limit:]),
        "other_values": max(len(pairs) - limit, 0),
        "missing": missing,
    }
