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
        SERVED = "served", "Served requests"

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


class DatasetVersionPreview(models.Model):
    """A version's first rows, stored when it is imported, so that the API and the admin show
    them without reading the data (on an object store, a download of the whole file): at most
    MAX_ROWS rows in INDUS_PREVIEW_MAX_BYTES of values, long values cut. Its own table,
    so that listing versions does not load it."""

    MAX_ROWS = 100  # the most rows a preview may ask for
    VALUE_CHARS = 1_000  # text is cut to this many characters

    version = models.OneToOneField(DatasetVersion, on_delete=models.CASCADE, primary_key=True,
                                   related_name="stored_preview")
    rows = models.JSONField(default=list, help_text="the first rows, {column: value}, long values cut")
    first_cut_row = models.IntegerField(
        null=True, blank=True, help_text="the index of the first row with a value cut; blank: none was"
    )

    def __str__(self) -> str:
        return f"preview of {self.version}"


class DatasetImport(models.Model):
    """One job that imports data into a dataset (an upload, a plugin's sample, an SQL query).

    These are the dataset's own facts, kept here rather than read out of the job's input: the
    dataset, the task the data is checked against, and the version holding the data. `version`
    is set only once the data is stored and fits `task`, so a version's imports say truly which
    tasks it was checked against; the same content imported again under another task is checked
    against that task too.
    """

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="imports")
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="dataset_import")
    task = models.CharField(max_length=200, blank=True, help_text="the task the data is checked against; blank: none")
    source_name = models.CharField(max_length=255, blank=True, help_text="the uploaded file's name, or the sample's")
    version = models.ForeignKey(
        DatasetVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="imports",
        help_text="the version holding the data, once it is stored and fits the task",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"import job {self.job_id} into {self.dataset}"


class SqlConnection(models.Model):
    """The SQLAlchemy URL an SQL import reads from. It is kept out of the job's spec because
    it may hold a password, and every member of a project sees its jobs' specs; the spec
    names this row and a copy of the URL with the password hidden.

    The URL is stored encrypted (Fernet, with INDUS_CREDENTIALS_KEYS; see sql_credentials), and
    the row is deleted when its import ends unless its user chose to keep it for retries."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    shown_url = models.TextField(help_text="the URL with its password hidden")
    encrypted_url = models.TextField(help_text="the whole URL, a Fernet token")
    keep_after_import = models.BooleanField(
        default=False, help_text="kept after its import ends, so that its user can retry it"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"SQL connection {self.pk} of {self.dataset}"
