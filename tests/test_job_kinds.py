"""Job kinds declared once: the toy kind of tests/toy_kinds/kind.py (an app's `kind.py`, nothing
else edited) gets its API submission, OpenAPI entry, admin form, job-page links and CLI flags;
a plugin adds a kind through its hook; job rows written before specs were versioned still load,
display and retry."""
import json
import sys
import textwrap
from importlib.metadata import EntryPoint

import pyarrow as pa
import pytest
from django.urls import reverse

from indus.jobs import services as job_services
from indus.jobs.kinds import job_kind, job_kinds
from indus.jobs.models import Job
from indus.plugins import manager
from indus.plugins.job_kind import InputField, JobKind
from indus.tenancy.models import Role
from tests.admin.conftest import admin_client_as  # noqa: F401  (fixtures, shared)
from tests.api.conftest import api_client  # noqa: F401
from tests.cli.conftest import cli_env, indus  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)  # the CLI talks to a live server

JOBS_URL = "/api/v1/projects/credit/jobs/"
TOY_LAUNCH = "admin:jobs_job_launch_test.toy"


@pytest.fixture
def rows(stored_version):
    return stored_version(pa.table({"n": list(range(50))}))


@pytest.fixture
def owner_api(api_client, user):  # noqa: F811
    return api_client(user)


# --- The API and its schema -------------------------------------------------------------------


def test_the_toy_kind_is_submitted_through_the_api_with_its_defaults(owner_api, rows):
    response = owner_api.post(JOBS_URL, {"kind": "test.toy", "dataset_version": rows.pk, "note": "hi"}, format="json")
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.kind, job.queue, job.spec_version) == ("test.toy", "cpu", 1)
    assert job.spec == {"dataset_version_id": rows.pk, "rows": 10, "mode": "fast", "note": "hi", "dry_run": False}
    assert response.json()["spec"] == job.spec


@pytest.mark.parametrize("changes,field,words", [
    ({"rows": 0}, "rows", "greater than or equal to 1"),  # the serializer, from the table's bound
    ({"rows": 60}, "rows", "has 50 rows"),  # the service
    ({"mode": "sloppy"}, "mode", "not a valid choice"),
    ({"dataset_version": 10**9}, "dataset_version", "no dataset version with id"),
    ({"dry_run": "perhaps"}, "dry_run", ""),
])
def test_bad_toy_inputs_are_400s_naming_the_field(owner_api, rows, changes, field, words):
    body = {"kind": "test.toy", "dataset_version": rows.pk, **changes}
    error = owner_api.post(JOBS_URL, body, format="json").json()["error"]
    assert error["field"] == field and words in error["message"]
    assert not Job.objects.exists()


def test_the_schema_documents_the_toy_kind_from_its_declaration(owner_api):
    schemas = owner_api.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert {"$ref": "#/components/schemas/TestToySubmissionRequest"} in schemas["JobSubmissionRequest"]["oneOf"]
    toy = schemas["TestToySubmissionRequest"]
    assert sorted(toy["required"]) == ["dataset_version", "kind"]
    properties = toy["properties"]
    assert (properties["rows"]["minimum"], properties["rows"]["maximum"], properties["rows"]["default"]) == (1, 1000, 10)
    assert properties["rows"]["description"] == "how many rows to count"
    assert properties["note"]["x-indus-flags"] == ["--memo"]
    assert schemas["ModeEnum"]["enum"] == ["fast", "careful"]


# --- The admin --------------------------------------------------------------------------------


def test_the_toy_kind_has_a_launch_form_from_its_inputs(admin_client_as, rows):  # noqa: F811
    editor = admin_client_as(Role.EDITOR)
    listing = editor.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert f'href="{reverse(TOY_LAUNCH)}"' in listing and "Launch toy count" in listing
    form = editor.get(reverse(TOY_LAUNCH)).context["form"]
    assert list(form.fields) == ["dataset_version", "rows", "mode", "note", "dry_run"]
    assert (form.fields["rows"].initial, form.fields["rows"].help_text) == (10, "how many rows to count")
    assert dict(form.fields["mode"].choices)["careful"] == "careful: check each row"

    refused = editor.post(reverse(TOY_LAUNCH), {"dataset_version": rows.pk, "rows": 60, "mode": "fast"})
    assert refused.context["form"].errors["rows"] == ["the dataset version has 50 rows, not 60"]
    launched = editor.post(reverse(TOY_LAUNCH), {"dataset_version": rows.pk, "rows": 5, "mode": "careful",
                                                 "dry_run": "on"})
    job = Job.objects.get()
    assert launched["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert job.spec == {"dataset_version_id": rows.pk, "rows": 5, "mode": "careful", "note": None, "dry_run": True}
    page = editor.get(launched["Location"]).content.decode()
    assert 'id="job-input-dataset-version"' in page and "Dataset version counted" in page
    assert reverse("admin:datasets_datasetversion_change", args=[rows.pk]) in page


# --- The CLI ----------------------------------------------------------------------------------


def test_the_cli_submits_the_toy_kind_with_flags_from_the_schema(indus, rows):  # noqa: F811
    code, out, err = indus("jobs", "submit", "credit", "test.toy", "--dataset-version", rows.pk, "--rows", 7,
                           "--mode", "careful", "--memo", "nightly", "--dry-run")
    job = Job.objects.get()
    assert (code, out, err) == (0, f"test.toy job {job.pk} queued\n", "")
    assert job.spec == {"dataset_version_id": rows.pk, "rows": 7, "mode": "careful", "note": "nightly", "dry_run": True}
    refused = indus("jobs", "submit", "credit", "test.toy", "--dataset-version", rows.pk, "--rows", 60)
    assert refused[0] == 3 and "(rows) [400" in refused[2]


def test_the_cli_help_of_a_kind_lists_every_input_with_its_help(indus, capsys):  # noqa: F811
    with pytest.raises(SystemExit) as exited:
        indus("jobs", "submit", "credit", "test.toy", "--help")
    shown = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0
    for flag, help_text in [("--dataset-version", "id of the dataset version whose rows are counted (required)"),
                            ("--rows", "how many rows to count (default: 10)"), ("--note", "a note kept with the job"),
                            ("--memo", ""), ("--mode {fast,careful}", "how to count"), ("--dry-run", "count nothing")]:
        assert flag in shown and help_text in shown


def test_the_cli_takes_every_batch_inference_input(indus, project, model_version, support_tickets):  # noqa: F811
    code, _, err = indus("jobs", "submit", "credit", "batch-inference", "--model-version", model_version.pk,
                         "--dataset-version", support_tickets.pk, "--id-column", "ticket_id", "--on-bad-rows", "mark",
                         "--batch-size", 16, "--explain", "rows=[0, 2]", "--int8")
    assert code == 0, err
    spec = Job.objects.get().spec
    assert (spec["id_column"], spec["on_bad_rows"], spec["batch_size"], spec["explain"], spec["int8"]) == (
        "ticket_id", "mark", 16, {"rows": [0, 2]}, True)


def test_an_unknown_kind_is_a_usage_error_listing_the_servers_kinds(indus):  # noqa: F811
    code, _, err = indus("jobs", "submit", "credit", "distill")
    assert code == 2 and "no job kind 'distill'" in err and "batch-inference, evaluate, fine-tune, sweep, test.toy" in err


# --- Plugins ----------------------------------------------------------------------------------

PLUGIN = '''
from indus.jobs.services import job_create
from indus.plugins.hookspecs import hookimpl
from indus.plugins.job_kind import InputField, JobKind

def echo_submit(*, project, text, created_by=None):
    return job_create(project=project, kind="echo.say", spec={"text": text}, created_by=created_by)

@hookimpl
def indus_job_kinds():
    return [JobKind(name="echo.say", queue="cpu", runner="tests.support.runners.succeeding_runner",
                    submit="echo_kind.echo_submit", inputs=(InputField("text", str, help="what to say"),))]
'''


def test_a_plugin_adds_a_submittable_kind_through_its_hook(owner_api, project, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "echo_kind.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.delitem(sys.modules, "echo_kind", raising=False)
    registry = manager.build_registry(entry_points_=[EntryPoint(name="echo", value="echo_kind", group="indus")])
    assert registry.plugins["echo"].loaded and registry.plugins["echo"].job_kinds == ["echo.say"]
    monkeypatch.setattr(manager, "get_registry", lambda: registry)

    assert job_kind("echo.say").queue == "cpu" and "fine_tune" in job_kinds()
    response = owner_api.post(JOBS_URL, {"kind": "echo.say", "text": "hello"}, format="json")
    assert response.status_code == 201, response.json()
    assert Job.objects.get().spec == {"text": "hello"}
    missing = owner_api.post(JOBS_URL, {"kind": "echo.say"}, format="json").json()["error"]
    assert missing["field"] == "text"


def test_a_plugin_kind_that_is_not_a_job_kind_is_refused_under_the_plugins_name(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "bad_kind.py").write_text(textwrap.dedent('''
        from indus.plugins.hookspecs import hookimpl

        @hookimpl
        def indus_job_kinds():
            return [{"name": "bad.kind"}]
    '''))
    monkeypatch.delitem(sys.modules, "bad_kind", raising=False)
    registry = manager.build_registry(entry_points_=[EntryPoint(name="bad", value="bad_kind", group="indus")])
    assert registry.job_kinds == {}
    assert "not a JobKind" in " ".join(registry.plugins["bad"].errors)


def test_a_declaration_that_cannot_work_is_refused_where_it_is_written():
    with pytest.raises(ValueError, match="lowercase"):
        JobKind(name="Bad Kind", queue="cpu", runner="x.y")
    with pytest.raises(ValueError, match="unique"):
        JobKind(name="twice", queue="cpu", runner="x.y", inputs=(InputField("a", int), InputField("a", str)))
    with pytest.raises(ValueError, match="no upgrade from spec version 1"):
        JobKind(name="later", queue="cpu", runner="x.y", spec_version=2)


# --- Rows written before specs were versioned ---------------------------------------------------


def test_an_old_batch_inference_row_loads_displays_and_retries_complete(owner_api, admin_client_as, project,  # noqa: F811
                                                                        model_version, support_tickets):
    # As the service wrote it before `on_bad_rows`, `explain` and `batch_size` existed.
    old = Job.objects.create(project=project, kind="batch_inference", queue="gpu", state="failed", error="it broke",
                             spec={"model_version_id": model_version.pk, "dataset_version_id": support_tickets.pk,
                                   "output_format": "csv", "id_column": None, "int8": False})
    assert old.spec_version == 0
    shown = owner_api.get(f"{JOBS_URL}{old.pk}/").json()["spec"]
    assert (shown["on_bad_rows"], shown["explain"], shown["batch_size"], shown["output_format"]) == ("fail", None, 64, "csv")
    page = admin_client_as(Role.VIEWER).get(reverse("admin:jobs_job_change", args=[old.pk])).content.decode()
    assert "&quot;batch_size&quot;: 64" in page and 'id="job-input-model-version"' in page
    retry = job_services.job_retry(job=old)
    assert (retry.spec_version, retry.spec["batch_size"], retry.spec["on_bad_rows"]) == (1, 64, "fail")
    assert json.loads(json.dumps(retry.spec)) == shown
