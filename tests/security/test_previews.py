"""Previews of a data bomb against the real web server (gunicorn): bounded in bytes, not only
in rows, and in the web process's memory.

The attack this reproduces: a viewer asked `?rows=100` of a version whose rows each hold one
1 MB value (stored dictionary-encoded, so the file is small), the answer was 105 MB, and the
web process grew from 187 MB to 512 MB. Such a version may have been stored before the import
limits existed, so the readers must bound it themselves.
"""
import pyarrow as pa
import pytest
import requests
from django.conf import settings

from indus.datasets.models import DatasetVersionPreview
from indus.tenancy.models import Role
from indus.tenancy.services import api_token_create, membership_set
from tests.security.bombs import stored_bomb
from tests.security.processes import admin_login, resident_bytes, web_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MiB = 1024**2
BOMB_ROWS, BOMB_VALUE_BYTES = 100_000, 1_000_000
# The web process's peak memory grows by less than this while it answers the attacks.
WEB_MEMORY_BOUND = 64 * MiB
PASSWORD = "viewer's own password"


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    with web_server(tmp_path_factory.mktemp("preview-server")) as running:
        yield running


@pytest.fixture
def viewer(project, django_user_model):
    viewer = django_user_model.objects.create_user(username="vera", password=PASSWORD)
    membership_set(project=project, user=viewer, role=Role.VIEWER)
    return viewer


@pytest.fixture
def versions(stored_version):
    """A small version, and a bomb of 100,000 rows of one 1 MB text."""
    return stored_version(pa.table({"text": ["short", "texts"]})), stored_bomb(stored_version, BOMB_ROWS, BOMB_VALUE_BYTES)


def preview_url(server, version, rows: int) -> str:
    dataset = version.dataset
    return (f"{server.url}/api/v1/projects/{dataset.project.slug}/datasets/{dataset.pk}/versions/"
            f"{version.number}/preview/?rows={rows}")


def version_page(server, session, version) -> requests.Response:
    response = session.get(f"{server.url}/admin/datasets/datasetversion/{version.pk}/change/?column=text", timeout=60)
    assert response.status_code == 200, response.text[:500]
    return response


def test_a_viewers_preview_and_version_page_of_a_bomb_stay_small(server, viewer, versions):
    small, bomb = versions
    _, secret = api_token_create(user=viewer, name="attack")
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {secret}"
    session = admin_login(server.url, viewer.username, PASSWORD)
    # The same pages of a small version first: what a request costs anyway is not counted.
    assert api.get(preview_url(server, small, 100), timeout=60).json()["rows"] == [{"text": "short"}, {"text": "texts"}]
    version_page(server, session, small)
    baseline = resident_bytes(server.worker_pid)

    response = api.get(preview_url(server, bomb, 100), timeout=60)
    assert response.status_code == 200, response.text[:500]
    assert len(response.content) < settings.INDUS_PREVIEW_MAX_BYTES
    preview = response.json()
    assert preview["truncated"] is True
    assert preview["rows"] == [{"text": "x" * DatasetVersionPreview.VALUE_CHARS}] * 100

    page = version_page(server, session, bomb)
    assert len(page.content) < settings.INDUS_PREVIEW_MAX_BYTES
    assert "Long values are cut" in page.text
    assert f"{BOMB_ROWS}" in page.text  # the label chart counted the column's rows

    grown = resident_bytes(server.worker_pid) - baseline
    assert grown < WEB_MEMORY_BOUND, f"the web process's peak memory grew by {grown / MiB:.0f} MiB"
    # The attack changed nothing stored.
    bomb.refresh_from_db()
    assert bomb.row_count == BOMB_ROWS and bomb.dataset.versions.count() == 2
