import pyarrow.parquet as pa_parquet
from django.db.models import Max, QuerySet

from indus.core.json import json_safe
from indus.core.storage import local_file
from indus.datasets.models import Dataset, DatasetVersion


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
