"""Two projects with members of every role and one of each object, and API clients that
authenticate with real tokens."""
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from indus.core.storage import artifact_storage
from indus.datasets.services import dataset_create
from indus.jobs import services as job_services
from indus.registry.services import model_alias_set, model_version_create, registered_model_get_or_create
from indus.tenancy.models import Role
from indus.tenancy.services import api_token_create, membership_set, project_create
from tests.training.conftest import headlines  # noqa: F401  (a fixture, shared)

TASK = "finance.news_sentiment"


@pytest.fixture
def api_client():
    """An API client for a user, authenticated by a Bearer token made for it. The token stands
    for the user's own login, so it may create tokens as a password login may."""

    def client_for(user, **headers) -> APIClient:
        _, secret = api_token_create(user=user, name="tests", can_create_tokens=True)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", **headers)
        return client

    return client_for


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password="not used by tokens")


def failed_job(project):
    job = job_services.job_create(project=project, kind="sample", spec={"sample": "none"})
    lease = job_services.job_claim(job_id=job.pk, worker="test-worker")
    job_services.job_fail(lease=lease, error="it broke")
    job.refresh_from_db()
    return job


def registered_version(project, name: str = "news"):
    """A model version with two artifact files, as a fine-tune job would register it."""
    folder = f"models/{project.slug}/{name}/test"
    storage = artifact_storage()
    storage.save(f"{folder}/config.json", ContentFile(b'{"labels": ["negative", "neutral", "positive"]}'))
    storage.save(f"{folder}/tokenizer/vocab.txt", ContentFile(b"[PAD]\n[UNK]\nshares\n"))
    model = registered_model_get_or_create(project=project, name=name, task=TASK)
    return model_version_create(
        model=model, artifact_path=folder, metrics={"test_accuracy": 0.91}, model_card="# News model",
        reports={"per_class": {"positive": {"f1": 0.9}}},
    )


@pytest.fixture
def world(user, project, dataset, stored_version, headlines):  # noqa: F811
    """Project `credit` (owner alice, editor ed, viewer vera) and project `retail`, owned by
    otto, who is no member of credit; each project has a dataset version, a queued and a
    failed job, and a model version with an alias."""
    ed, vera, otto = make_user("ed"), make_user("vera"), make_user("otto")
    make_user("newbie")  # not in any project yet: someone to add
    membership_set(project=project, user=ed, role=Role.EDITOR)
    membership_set(project=project, user=vera, role=Role.VIEWER)
    retail = project_create(slug="retail", name="Retail", owner=otto)
    retail_dataset = dataset_create(project=retail, name="baskets", created_by=otto)
    version = stored_version(headlines)
    model_version = registered_version(project)
    model_alias_set(version=model_version, name="production")
    retail_job = job_services.job_create(project=retail, kind="sample", spec={"sample": "none"})
    return SimpleNamespace(
        users={Role.OWNER: user, Role.EDITOR: ed, Role.VIEWER: vera, "outsider": otto},
        project=project,
        dataset=dataset,
        version=version,
        queued_job=job_services.job_create(project=project, kind="sample", spec={"sample": "none"}),
        failed_job=failed_job(project),
        model=model_version.model,
        model_version=model_version,
        retail=retail,
        retail_dataset=retail_dataset,
        retail_job=retail_job,
        retail_model=registered_version(retail, name="baskets").model,
    )
