from django.db.models import QuerySet

from indus.datasets.models import Dataset, DatasetVersion


def dataset_list(*, project) -> QuerySet[Dataset]:
    return Dataset.objects.filter(project=project)


def dataset_version_latest(*, dataset: Dataset) -> DatasetVersion | None:
    return dataset.versions.order_by("-number").first()
