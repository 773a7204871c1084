"""schemathesis against the live schema, in process (WSGI), as credit's owner: no request it
generates may get a server error or a response that breaks the schema.

The schema is built at collection, so that each operation is its own test on a fresh
database (schemathesis' fixture-based loader runs every operation inside one test); the
first test holds the served schema to be that same one.
"""
import json
import os

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.specs.openapi.checks import positive_data_acceptance

from indus.tenancy.models import Role
from indus.tenancy.services import api_token_create
from indus.wsgi import application

# Hypothesis keeps a cache; the run's own var/ folder, not the repository, holds it.
set_hypothesis_home_dir(str(django_settings.VAR_DIR / "hypothesis"))
EXAMPLES_PER_OPERATION = int(os.environ.get("INDUS_SCHEMATHESIS_EXAMPLES", "12"))


def built_schema() -> dict:
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(built_schema())
schema.app = application


def bearer(user) -> dict:
    return {"Authorization": f"Bearer {api_token_create(user=user, name='schemathesis')[1]}"}


@pytest.fixture
def wsgi_in_test_transaction(db):
    """Django closes database connections when a WSGI request ends, which would end the
    test's transaction; its test client stops that, and so must a direct WSGI caller."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


def test_the_served_schema_is_the_one_tested(world, api_client):
    served = api_client(world.users[Role.OWNER]).get("/api/schema/?format=json").json()
    assert served == built_schema()


@schema.parametrize()
# Derandomized: the same examples every run, so a failure in CI is one anyone can replay;
# INDUS_SCHEMATHESIS_EXAMPLES=200 explores further.
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case, world, wsgi_in_test_transaction):
    # Most generated slugs name no project; aim at the seeded one so the views behind it run.
    if "project_slug" in (case.path_parameters or {}):
        case.path_parameters["project_slug"] = world.project.slug
    # A fresh token per example: a generated DELETE /tokens/{id}/ may revoke the one before.
    # Not checked: that every schema-valid request succeeds. Rules the schema cannot state
    # (the dataset version must exist and fit the task, slugs are unique) rightly refuse many.
    case.call_and_validate(headers=bearer(world.users[Role.OWNER]), excluded_checks=[positive_data_acceptance])
