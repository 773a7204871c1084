from django.db.models import Max, QuerySet

from indus.core.json import json_safe
from indus.datasets.models import Dataset, DatasetImport, DatasetVersion, DatasetVersionPreview


def dataset_list(*, project) -> QuerySet[Dataset]:
    return Dataset.objects.filter(project=project).select_related("created_by").annotate(
        latest_version=Max("versions__number")
    ).order_by("name")  # an aggregate drops the model's default ordering


def dataset_version_list(*, dataset: Dataset) -> QuerySet[DatasetVersion]:
    return dataset.versions.select_related("created_by").prefetch_related("imports").order_by("-number")


def dataset_version_preview(*, version: DatasetVersion, rows: int) -> dict:
    """The first `rows` rows of the version, as JSON-safe {column: value} objects, from the
    preview stored when it was imported (at most DatasetVersionPreview.MAX_ROWS rows in INDUS_PREVIEW_MAX_BYTES
    of values, long values cut), so no data is read; `truncated` says if anything of these rows
    was cut or left out. A version stored before previews were has none: no rows, truncated."""
    stored = DatasetVersionPreview.objects.filter(version=version).first()
    taken = stored.rows[:rows] if stored else []
    cut = stored is not None and stored.first_cut_row is not None and stored.first_cut_row < len(taken)
    return {"columns": [column["name"] for column in version.columns], "rows": taken,
            "truncated": cut or len(taken) < min(rows, version.row_count)}


def dataset_version_latest(*, dataset: Dataset) -> DatasetVersion | None:
    return dataset.versions.order_by("-number").first()


def dataset_imports(*, dataset: Dataset, limit: int = 10) -> QuerySet[DatasetImport]:
    """The most recent jobs that import data into the dataset (uploads, samples, SQL)."""
    return dataset.imports.select_related("job__created_by").order_by("-job__created_at", "-job_id")[:limit]


def dataset_version_tasks(*, version: DatasetVersion) -> list[str]:
    """The tasks the version's data was checked against and fits, in the order they were
    imported (an import of the same content under another task adds its task)."""
    # All the version's imports, then filtered here: a prefetched list serves a page of versions.
    return list(dict.fromkeys(record.task for record in version.imports.all() if record.task))


def dataset_version_value_counts(*, version: DatasetVersion, column: str, limit: int = 30) -> dict:
    """How often each value of one column occurs, most frequent first: the `limit` most
    frequent values, the rows of all the others together, and the missing ones. Read from the
    profile the import stored (every value of a column with few short ones, else its most
    frequent), so a web request never reads the data."""
    profile = next((c for c in version.profile.get("columns", []) if c["name"] == column), {})
    counted = profile.get("values") or profile.get("top_values") or []
    shown = counted[:limit]
    present = version.row_count - profile.get("missing", 0)
    distinct = profile.get("distinct") or len(counted)
    return {
        "values": [{"value": item["value"], "count": item["count"]} for item in json_safe(shown)],
        "other": present - sum(item["count"] for item in shown),
        "other_values": max(distinct - len(shown), 0),
        "missing": profile.get("missing", 0),
    }
