"""A version's page in the admin: a canary split set by an owner, and how to call the version."""
import html
import json
import re

from indus.registry.models import ModelAlias
from indus.registry.services import model_alias_set
from indus.tenancy.models import Role
from tests.admin.test_models_admin import element, version_url
from tests.admin.test_models_admin import versions as versions  # a fixture


def test_an_owner_splits_an_alias_with_a_canary_and_the_pages_say_so(admin_client_as, versions):
    v1, v2 = versions
    owner = admin_client_as(Role.OWNER)
    done = owner.post(version_url(v1, "alias_set"), {"alias": "production", "canary_version": 2, "canary_percent": 10},
                      follow=True)
    assert done.status_code == 200
    alias = ModelAlias.objects.get(model=v1.model, name="production")
    assert (alias.version, alias.canary_version, alias.canary_percent) == (v1, v2, 10)
    assert "production" in element(owner.get(version_url(v1)).content.decode(), "p", "served-under")
    canary_page = element(owner.get(version_url(v2)).content.decode(), "p", "served-under")
    assert "10% of its requests, as its canary" in canary_page
    # A canary version the model does not have: the message next to the field, nothing changed.
    refused = owner.post(version_url(v1, "alias_set"), {"alias": "production", "canary_version": 9, "canary_percent": 10})
    form = element(refused.content.decode(), "form", "alias-form")
    assert "has no version 9" in form
    assert ModelAlias.objects.get(model=v1.model, name="production").canary_version == v2


def test_the_version_page_shows_curl_and_python_calls_to_the_serving_process(admin_client_as, versions, settings):
    v1, _ = versions
    settings.INDUS_SERVING_URL = "https://serve.example.test"
    model_alias_set(version=v1, name="production")
    page = admin_client_as(Role.VIEWER).get(version_url(v1)).content.decode()
    curl = html.unescape(element(page, "pre", "serving-curl"))
    url = "https://serve.example.test/projects/credit/models/news/predict?alias=production"
    assert f"curl -s -X POST '{url}'" in curl and 'Authorization: Bearer $INDUS_TOKEN' in curl
    body = json.loads(re.search(r"-d '(.*)'", curl).group(1))
    assert list(body) == ["rows"] and len(body["rows"]) == 1  # one row keyed by the task's columns
    python = html.unescape(element(page, "pre", "serving-python"))
    assert f"requests.post(\n    '{url}'" in python
    compile(re.sub(r"<[^>]+>", "", python), "<snippet>", "exec")  # it is Python that runs
    assert "credit.news" in page


def test_an_owner_turns_request_logging_on_and_the_page_says_where_rows_go(admin_client_as, versions):
    v1, _ = versions
    owner = admin_client_as(Role.OWNER)
    done = owner.post(version_url(v1, "alias_set"), {"alias": "production", "log_sample_rate": 0.5,
                                                     "log_max_rows_per_hour": 20}, follow=True)
    assert done.status_code == 200
    alias = ModelAlias.objects.get(model=v1.model, name="production")
    assert (alias.log_sample_rate, alias.log_max_rows_per_hour) == (0.5, 20)
    served_under = html.unescape(element(owner.get(version_url(v1)).content.decode(), "p", "served-under"))
    assert "logging 50.0% of its rows, at most 20 an hour, to the dataset “news-served”" in served_under
    refused = owner.post(version_url(v1, "alias_set"), {"alias": "production", "log_sample_rate": 2})
    assert "less than or equal to 1" in element(refused.content.decode(), "form", "alias-form")
    assert ModelAlias.objects.get(model=v1.model, name="production").log_sample_rate == 0.5
