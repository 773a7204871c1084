"""Project members who submit and retry SQL imports through the live API, with real tokens:
the shared surface of the tests/security/test_sql_* attacks."""
from dataclasses import dataclass

import requests
from django.contrib.auth import get_user_model

from indus.datasets.models import Dataset, SqlConnection
from indus.jobs.models import Job
from indus.tenancy.models import Role
from indus.tenancy.services import api_token_create, membership_set


@dataclass
class Member:
    base_url: str
    dataset: Dataset
    token: str

    def _post(self, path: str, body: dict | None = None) -> requests.Response:
        return requests.post(f"{self.base_url}/api/v1/projects/{self.dataset.project.slug}/{path}", json=body or {},
                             headers={"Authorization": f"Bearer {self.token}"}, timeout=120)

    def from_sql(self, url: str, query: str = "SELECT 1 AS one", **extra) -> requests.Response:
        return self._post(f"datasets/{self.dataset.pk}/from-sql/", {"url": url, "query": query, **extra})

    def retry(self, job: Job) -> requests.Response:
        return self._post(f"jobs/{job.pk}/retry/")


def member(base_url: str, dataset: Dataset, username: str, role: Role = Role.EDITOR) -> Member:
    user = get_user_model().objects.create_user(username=username, password="not used by tokens")
    membership_set(project=dataset.project, user=user, role=role)
    _, secret = api_token_create(user=user, name="sql attacks")
    return Member(base_url=base_url, dataset=dataset, token=secret)


def refusal(response: requests.Response) -> tuple[int, str, str, str]:
    """(status, field, code, message) of an error response."""
    error = response.json()["error"]
    return response.status_code, error.get("field"), error.get("code"), error["message"]


def stored_state() -> list:
    """Everything an SQL import could leave behind: jobs, connections (encrypted as stored)."""
    return [list(Job.objects.order_by("pk").values_list("pk", "state")),
            list(SqlConnection.objects.order_by("pk").values_list("pk", "encrypted_url"))]
