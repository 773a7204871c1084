import shutil

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from indus.datasets.services import dataset_create
from indus.tenancy.services import project_create


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


def pytest_sessionfinish(session, exitstatus):
    if getattr(settings, "OWNS_VAR_DIR", False):
        shutil.rmtree(settings.VAR_DIR, ignore_errors=True)
