from django.conf import settings
from django.db import models


class Dataset(models.Model):
    project = models.ForeignKey("tenancy.Project", on_delete=models.PROTECT, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="dataset_name_unique_in_project"),
        ]

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"


class DatasetVersion(models.Model):
    """An immutable snapshot of a dataset, stored as Parquet and addressed by its sha256."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        SQL = "sql", "SQL query"
        SAMPLE = "sample", "Plugin sample"

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=16, choices=Source.choices)
    source_name = models.CharField(max_length=255, blank=True)
    data_path = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField()
    row_count = models.BigIntegerField()
    columns = models.JSONField(help_text="[{name, type}] in file order")
    profile = models.JSONField(default=dict)
    import_job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "number"], name="version_number_unique"),
            models.UniqueConstraint(fields=["dataset", "sha256"], name="version_content_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.number}"


class SqlConnection(models.Model):
    """The SQLAlchemy URL an SQL import reads from. It is kept out of the job's spec because
    it may hold a password, and every member of a project sees its jobs' specs; the spec
    names this row and a copy of the URL with the password hidden."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    url = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"SQL connection {self.pk} of {self.dataset}"
