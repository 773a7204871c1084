import hashlib
import io
import shutil

import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion
from indus.datasets.profiling import DatasetProfiler
from indus.datasets.services import dataset_create, dataset_version_create
from indus.datasets.snapshots import preview_of
from indus.registry.services import model_version_create, registered_model_get_or_create
from indus.tenancy.services import project_create

# The browser fixtures (`chromium`, `admin_page`); Playwright loads only when a test asks.
pytest_plugins = ["tests.support.browser"]


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user(username="alice", password="correct horse battery")


@pytest.fixture
def project(user):
    return project_create(slug="credit", name="Credit risk", owner=user)


@pytest.fixture
def dataset(project, user):
    return dataset_create(project=project, name="applications", created_by=user)


@pytest.fixture
def upload():
    """An uploaded file as Django hands it to a view."""

    def make(content: bytes | str, name: str = "data.csv") -> ContentFile:
        return ContentFile(content.encode() if isinstance(content, str) else content, name=name)

    return make


@pytest.fixture
def stored_version(dataset):
    """Store a pyarrow table as a version of the `dataset` fixture, as an import job would."""

    def store(table: pa.Table, *, import_job=None) -> DatasetVersion:
        sink = io.BytesIO()
        pa_parquet.write_table(table, sink)
        sha = hashlib.sha256(sink.getvalue()).hexdigest()
        path = artifact_storage().save(f"datasets/{dataset.pk}/{sha}.parquet", ContentFile(sink.getvalue()))
        profiler = DatasetProfiler(table.schema)
        for batch in table.to_batches():
            profiler.add(batch)
        version, _ = dataset_version_create(
            dataset=dataset, sha256=sha, source=DatasetVersion.Source.UPLOAD, data_path=path,
            size_bytes=len(sink.getvalue()), row_count=table.num_rows,
            columns=[{"name": f.name, "type": str(f.type)} for f in table.schema], profile=profiler.as_dict(),
            import_job=import_job, preview=preview_of(io.BytesIO(sink.getvalue())),
        )
        return version

    return store


@pytest.fixture
def model_version(project):
    """A registered version of an intent model, without weights: for what is checked before any
    compute (submissions, pages, permissions)."""
    model = registered_model_get_or_create(project=project, name="intents", task="retail.support_intent")
    return model_version_create(model=model, artifact_path="models/x", metrics={"test_accuracy": 0.8})


@pytest.fixture
def support_tickets(stored_version):
    """Two rows the intent model could read."""
    return stored_version(pa.table({"ticket_id": [1, 2], "message": ["where is my parcel", "refund please"]}))


def pytest_sessionfinish(session, exitstatus):
    if getattr(settings, "OWNS_VAR_DIR", False):
        shutil.rmtree(settings.VAR_DIR, ignore_errors=True)


# The fixtures through which a test reaches the database; a test with none of them, and no
# worker process (the e2e marker), runs the same whatever the database and broker are.
DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "admin_client"}


def _services_can_change(item) -> bool:
    # A browser test checks what a page shows and does; the services pass still runs the same
    # admin views through Django's test client (tests/admin).
    if item.get_closest_marker("services_neutral") is not None or item.get_closest_marker("browser") is not None:
        return False
    return (
        item.get_closest_marker("e2e") is not None
        or item.get_closest_marker("django_db") is not None
        or bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))
    )


def pytest_collection_modifyitems(config, items):
    """The services pass (PostgreSQL + Redis) runs what they can change: the whole suite runs
    first on the embedded default, so running a test again that touches neither the database
    nor the broker, or one marked `services_neutral`, would only repeat it."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        return
    kept, left_out = [], []
    for item in items:
        (kept if _services_can_change(item) else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
