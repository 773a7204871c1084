import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from indus.tenancy.models import Role
from indus.tenancy.services import membership_set, project_create


@pytest.fixture
def other_project(db):
    """A second project, with its own owner, that the test's members do not belong to."""
    stranger = get_user_model().objects.create_user(username="mallory", password="x")
    return project_create(slug="fraud", name="Fraud", owner=stranger)


@pytest.fixture
def admin_client_as(project):
    """A browser session in the admin as a fresh member of `project` with the given role."""

    def login(role: Role | str, *, username: str | None = None) -> Client:
        role = Role(role)
        member = get_user_model().objects.create_user(username=username or f"{role.value}-member", password="pw")
        membership_set(project=project, user=member, role=role)
        client = Client()
        client.force_login(member)
        client.user = member
        return client

    return login
