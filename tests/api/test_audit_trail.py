"""Every change made through the API or the admin leaves exactly one audit entry, written by
the service that made the change: who (and with which token), what, from where. A refused
change, or one whose transaction rolls back, leaves none.

The API is driven with a real API token, the admin with Django's test client signed in as a
member (the world of tests/api/conftest.py: alice owns credit, ed edits it, vera views it).
Each table also checks that it names every entry point that can change something, so a new
endpoint or admin page cannot be added without saying what it records.
"""
import sqlite3
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, resolve, reverse
from django.urls.resolvers import URLResolver

from indus.bindings.models import TaskBinding
from indus.bindings.selectors import task_binding_proposal
from indus.datasets.models import DatasetVersion
from indus.registry.models import ModelAlias
from indus.tenancy.models import ApiToken, AuditEntry, Membership, Project, Role
from indus.tenancy.services import api_token_create
from tests.support.forms import as_posted

from .conftest import TASK
from .test_access_matrix import send as api_send

ADDRESS, AGENT = "203.0.113.9", "audit-trail-test"
WRITE_METHODS = ("post", "put", "patch", "delete")


@pytest.fixture
def trail(world, settings, tmp_path):
    """The world, plus a spare token of alice's to revoke, a superuser and an SQLite database
    to import from, made outside any request: none of this is in the audit log."""
    spare, _ = api_token_create(user=world.users[Role.OWNER], name="spare")
    root = get_user_model().objects.create_superuser(username="root", password="not used")
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = [str(tmp_path)]
    with sqlite3.connect(tmp_path / "loans.sqlite3") as db:
        db.execute("CREATE TABLE loans (amount INTEGER)")
    binding = TaskBinding.objects.create(project=world.project, **task_binding_proposal(
        dataset_version=world.version, target="sentiment").stored_fields())
    assert not AuditEntry.objects.exists()
    return SimpleNamespace(**{**vars(world), "users": {**world.users, "superuser": root}}, spare=spare,
                           sql_url=f"sqlite:///{tmp_path / 'loans.sqlite3'}", binding=binding)


def user_named(username: str):
    return get_user_model().objects.get(username=username)


def the_entry() -> AuditEntry:
    entries = list(AuditEntry.objects.order_by("pk"))
    assert len(entries) == 1, [entry.action for entry in entries]
    return entries[0]


def csv_file(name: str = "rows.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"headline,sentiment\nShares rise,positive\n", content_type="text/csv")


# --- The API ----------------------------------------------------------------------------------

def made(response):
    """The id of the object the response made."""
    return response.json()["id"]


#  action                 role          method    path under /api/v1/                   body
#  -> audit action, what it is about (type, id from the world or the response), project slug, summary
API = [
    ("create project", Role.OWNER, "post", "projects/", {"slug": "loans", "name": "Loans"},
     "project.create", ("project", lambda w, r: Project.objects.get(slug="loans").pk), "loans", {"slug": "loans"}),
    ("create token", Role.OWNER, "post", "tokens/", {"name": "nightly"},
     "token.create", ("apitoken", lambda w, r: made(r)), None,
     lambda w, r: {"name": "nightly", "prefix": r.json()["prefix"]}),
    ("revoke token", Role.OWNER, "delete", "tokens/{spare}/", None,
     "token.revoke", ("apitoken", lambda w, r: w.spare.pk), None,
     lambda w, r: {"name": "spare", "prefix": w.spare.prefix, "revoked": [w.spare.prefix]}),
    ("add member", Role.OWNER, "post", "projects/credit/members/", {"username": "newbie", "role": "viewer"},
     "member.add", ("user", lambda w, r: user_named("newbie").pk), "credit", {"username": "newbie", "role": "viewer"}),
    ("change member role", Role.OWNER, "patch", "projects/credit/members/vera/", {"role": "editor"},
     "member.change_role", ("user", lambda w, r: user_named("vera").pk), "credit", {"username": "vera", "role": "editor"}),
    ("remove member", Role.OWNER, "delete", "projects/credit/members/ed/", None,
     "member.remove", ("user", lambda w, r: user_named("ed").pk), "credit", {"username": "ed", "role": "editor"}),
    ("create dataset", Role.EDITOR, "post", "projects/credit/datasets/", {"name": "loans"},
     "dataset.create", ("dataset", lambda w, r: made(r)), "credit", {"name": "loans"}),
    ("upload version", Role.EDITOR, "post", "projects/credit/datasets/{d}/upload/", lambda w: {"file": csv_file()},
     "dataset.upload", ("job", lambda w, r: made(r)), "credit",
     {"kind": "import", "dataset": "applications", "file": "rows.csv"}),
    ("version from sample", Role.EDITOR, "post", "projects/credit/datasets/{d}/from-sample/",
     {"sample": "finance.news_headlines", "rows": 50},
     "dataset.from_sample", ("job", lambda w, r: made(r)), "credit", {"kind": "sample", "dataset": "applications"}),
    ("version from SQL", Role.EDITOR, "post", "projects/credit/datasets/{d}/from-sql/",
     lambda w: {"url": w.sql_url, "query": "SELECT amount FROM loans"},
     "dataset.from_sql", ("job", lambda w, r: made(r)), "credit", {"kind": "sql_import", "dataset": "applications"}),
    ("submit fine-tune", Role.EDITOR, "post", "projects/credit/jobs/",
     lambda w: {"kind": "fine_tune", "dataset_version": w.version.pk, "task": TASK, "model_name": "news2"},
     "job.submit", ("job", lambda w, r: made(r)), "credit", {"kind": "fine_tune"}),
    ("submit batch inference", Role.EDITOR, "post", "projects/credit/jobs/",
     lambda w: {"kind": "batch_inference", "model_version": w.model_version.pk, "dataset_version": w.version.pk},
     "job.submit", ("job", lambda w, r: made(r)), "credit", {"kind": "batch_inference"}),
    ("submit evaluate", Role.EDITOR, "post", "projects/credit/jobs/",
     lambda w: {"kind": "evaluate", "model_version": w.model_version.pk, "dataset_version": w.version.pk},
     "job.submit", ("job", lambda w, r: made(r)), "credit", {"kind": "evaluate"}),
    ("bind a template", Role.EDITOR, "post", "projects/credit/task-bindings/",
     lambda w: {"dataset_version": w.version.pk, "target": "sentiment"},
     "task_binding.create", ("taskbinding", lambda w, r: made(r)), "credit",
     lambda w, r: {"template": "indus.tabular_classification", "dataset_version": w.version.pk,
                   "target": "sentiment", "inputs": 1}),
    ("cancel job", Role.EDITOR, "post", "projects/credit/jobs/{queued}/cancel/", None,
     "job.cancel", ("job", lambda w, r: w.queued_job.pk), "credit", {"kind": "sample", "state": "cancelled"}),
    ("retry job", Role.EDITOR, "post", "projects/credit/jobs/{failed}/retry/", None,
     "job.retry", ("job", lambda w, r: made(r)), "credit", lambda w, r: {"kind": "sample", "retry_of": w.failed_job.pk}),
    ("set alias", Role.OWNER, "put", "projects/credit/models/{m}/aliases/staging/", {"version": 1},
     "model_alias.set", ("registeredmodel", lambda w, r: w.model.pk), "credit",
     {"model": "news", "alias": "staging", "version": 1}),
    ("delete alias", Role.OWNER, "delete", "projects/credit/models/{m}/aliases/production/", None,
     "model_alias.delete", ("registeredmodel", lambda w, r: w.model.pk), "credit", {"model": "news", "alias": "production"}),
]


def api_url(w, path: str) -> str:
    ids = {"d": w.dataset.pk, "queued": w.queued_job.pk, "failed": w.failed_job.pk, "m": w.model.pk,
           "spare": w.spare.pk}
    return f"/api/v1/{path.format(**ids)}"


def resolved(patterns, prefix=""):
    """(url name, view class) of every URL under `patterns`, with its namespace."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from resolved(pattern.url_patterns, prefix + namespace)
        else:
            yield prefix + (pattern.name or ""), getattr(pattern.callback, "cls", None)


@pytest.mark.parametrize("row", API, ids=[row[0] for row in API])
def test_each_api_change_leaves_one_entry_with_its_token(trail, api_client, row):
    _, role, method, path, body, action, (object_type, object_id), project, summary = row
    actor = trail.users[role]
    client = api_client(actor, REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    response = api_send(client, method, api_url(trail, path), body(trail) if callable(body) else body)
    assert response.status_code in (200, 201, 204), getattr(response, "data", response)
    entry = the_entry()
    assert (entry.action, entry.object_type, entry.object_id) == (action, object_type, str(object_id(trail, response)))
    assert entry.summary == (summary(trail, response) if callable(summary) else summary)
    assert (entry.project.slug if entry.project else None) == project
    token = ApiToken.objects.get(user=actor, name="tests")
    assert (entry.actor, entry.actor_username, entry.token_prefix) == (actor, actor.username, token.prefix)
    assert (entry.ip_address, entry.user_agent) == (ADDRESS, AGENT)


def test_the_api_table_names_every_endpoint_that_changes_something(trail):
    writes = {(name, method) for name, view in resolved(get_resolver().url_patterns)
              if name.startswith("api:") and view is not None for method in WRITE_METHODS if hasattr(view, method)}
    covered = {(f"api:{resolve(api_url(trail, row[3])).url_name}", row[2]) for row in API}
    assert writes == covered


# A refused change records nothing: for want of a role, or because the service says no.
#  action                        role          method    path under /api/v1/                     body        status
API_REFUSED = [
    ("viewer creates a dataset", Role.VIEWER, "post", "projects/credit/datasets/", {"name": "loans"}, 403),
    ("duplicate dataset name", Role.EDITOR, "post", "projects/credit/datasets/", {"name": "applications"}, 400),
    ("viewer uploads", Role.VIEWER, "post", "projects/credit/datasets/{d}/upload/", lambda w: {"file": csv_file()}, 403),
    ("upload of a .exe", Role.EDITOR, "post", "projects/credit/datasets/{d}/upload/",
     lambda w: {"file": csv_file("rows.exe")}, 400),
    ("unknown sample", Role.EDITOR, "post", "projects/credit/datasets/{d}/from-sample/", {"sample": "no.such"}, 400),
    ("SQL that writes", Role.EDITOR, "post", "projects/credit/datasets/{d}/from-sql/",
     lambda w: {"url": w.sql_url, "query": "DELETE FROM loans"}, 400),
    ("fine-tune without data", Role.EDITOR, "post", "projects/credit/jobs/",
     {"kind": "fine_tune", "dataset_version": 10**9, "task": TASK, "model_name": "news2"}, 400),
    ("viewer submits", Role.VIEWER, "post", "projects/credit/jobs/",
     lambda w: {"kind": "evaluate", "model_version": w.model_version.pk, "dataset_version": w.version.pk}, 403),
    ("cancel a failed job", Role.EDITOR, "post", "projects/credit/jobs/{failed}/cancel/", None, 409),
    ("retry a queued job", Role.EDITOR, "post", "projects/credit/jobs/{queued}/retry/", None, 409),
    ("editor adds a member", Role.EDITOR, "post", "projects/credit/members/", {"username": "newbie", "role": "viewer"},
     403),
    ("add a member twice", Role.OWNER, "post", "projects/credit/members/", {"username": "vera", "role": "viewer"}, 400),
    ("demote the last owner", Role.OWNER, "patch", "projects/credit/members/alice/", {"role": "viewer"}, 400),
    ("remove the last owner", Role.OWNER, "delete", "projects/credit/members/alice/", None, 400),
    ("editor sets an alias", Role.EDITOR, "put", "projects/credit/models/{m}/aliases/staging/", {"version": 1}, 403),
    ("bad alias name", Role.OWNER, "put", "projects/credit/models/{m}/aliases/Prod_1/", {"version": 1}, 400),
    ("delete a missing alias", Role.OWNER, "delete", "projects/credit/models/{m}/aliases/staging/", None, 400),
    ("token for a year and a day", Role.OWNER, "post", "tokens/", {"name": "x", "expires_in_days": 366}, 400),
    ("revoke another's token", Role.EDITOR, "delete", "tokens/{spare}/", None, 404),
    ("project with a taken slug", Role.OWNER, "post", "projects/", {"slug": "credit", "name": "Again"}, 400),
]


@pytest.mark.parametrize("row", API_REFUSED, ids=[row[0] for row in API_REFUSED])
def test_a_refused_api_change_leaves_no_entry(trail, api_client, row):
    _, role, method, path, body, status = row
    response = api_send(api_client(trail.users[role]), method, api_url(trail, path),
                        body(trail) if callable(body) else body)
    assert response.status_code == status, getattr(response, "data", response)
    assert not AuditEntry.objects.exists()


# --- The admin --------------------------------------------------------------------------------

def admin_as(user) -> Client:
    client = Client(REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT=AGENT)
    client.force_login(user)
    return client


def form_as_posted(client, url: str, initial: dict) -> dict:
    """The launch form opened with `initial`, as a browser would post it back unchanged."""
    return as_posted(client.get(url, initial).context["form"])


def project_form(project: Project, **changes) -> dict:
    """The project's change form with its read-only members inline, as posted."""
    members = project.memberships.count() if project.pk else 0
    return {"slug": project.slug, "name": project.name, "description": project.description,
            "memberships-TOTAL_FORMS": members, "memberships-INITIAL_FORMS": members,
            "memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000, **changes}


def membership(w, username: str) -> Membership:
    return Membership.objects.get(project=w.project, user__username=username)


def dataset_add_form(w) -> dict:
    return {"project": w.project.pk, "name": "loans", "description": "", "task": "", "file": csv_file(),
            "encoding": "utf-8", "delimiter": ","}


def newest_job(w):
    return w.project.jobs.latest("pk").pk


def use_this_data_form(client, w, **changes) -> dict:
    """"Use this data" proposed for the version's sentiment, as a browser posts it back."""
    url = reverse("admin:bindings_taskbinding_use", args=[w.version.pk])
    return form_as_posted(client, url, {"target": "sentiment"}) | changes


def newest_binding(w):
    return TaskBinding.objects.filter(project=w.project).latest("pk")


def binding_summary(w) -> dict:
    binding = newest_binding(w)
    return {"template": binding.template, "dataset_version": w.version.pk, "target": "sentiment",
            "inputs": len(binding.inputs)}


#  page                        role            admin URL and its arguments                        data posted
#  -> audit actions (one: each page is one change), what it is about, project, summary
ADMIN = [
    ("change project", Role.OWNER, ("tenancy_project_change", lambda w: [w.project.pk]),
     lambda c, w: project_form(w.project, name="Credit scoring"),
     ["project.update"], ("project", lambda w: w.project.pk), "credit", {"slug": "credit", "changed": ["name"]}),
    ("add project", "superuser", ("tenancy_project_add", lambda w: []),
     lambda c, w: project_form(Project(slug="loans", name="Loans")),
     ["project.create"], ("project", lambda w: Project.objects.get(slug="loans").pk), "loans", {"slug": "loans"}),
    ("add member", Role.OWNER, ("tenancy_membership_add", lambda w: []),
     lambda c, w: {"project": w.project.pk, "user": user_named("newbie").pk, "role": "viewer"},
     ["member.add"], ("user", lambda w: user_named("newbie").pk), "credit", {"username": "newbie", "role": "viewer"}),
    ("change member role", Role.OWNER, ("tenancy_membership_change", lambda w: [membership(w, "vera").pk]),
     lambda c, w: {"role": "editor"},
     ["member.change_role"], ("user", lambda w: user_named("vera").pk), "credit", {"username": "vera", "role": "editor"}),
    ("remove member", Role.OWNER, ("tenancy_membership_delete", lambda w: [membership(w, "ed").pk]),
     lambda c, w: {"post": "yes"},
     ["member.remove"], ("user", lambda w: user_named("ed").pk), "credit", {"username": "ed", "role": "editor"}),
    ("revoke token", Role.OWNER, ("tenancy_apitoken_changelist", lambda w: []),
     lambda c, w: {"action": "revoke", "_selected_action": [w.spare.pk]},
     ["token.revoke"], ("apitoken", lambda w: w.spare.pk), None,
     lambda w: {"name": "spare", "prefix": w.spare.prefix, "revoked": [w.spare.prefix]}),
    ("add dataset with its first file", Role.EDITOR, ("datasets_dataset_add", lambda w: []),
     lambda c, w: dataset_add_form(w),
     ["dataset.create"], ("dataset", lambda w: w.project.datasets.get(name="loans").pk), "credit",
     lambda w: {"name": "loans", "upload": {"job": newest_job(w), "file": "rows.csv"}}),
    ("upload version", Role.EDITOR, ("datasets_dataset_upload", lambda w: [w.dataset.pk]),
     lambda c, w: {"file": csv_file(), "task": "", "encoding": "utf-8", "delimiter": ","},
     ["dataset.upload"], ("job", newest_job), "credit",
     {"kind": "import", "dataset": "applications", "file": "rows.csv"}),
    ("launch fine-tune", Role.EDITOR, ("jobs_job_launch_fine_tune", lambda w: []),
     lambda c, w: form_as_posted(c, reverse("admin:jobs_job_launch_fine_tune"), {
         "project": w.project.pk, "task": TASK, "dataset_version": w.version.pk, "model_name": "news2"}),
     ["job.submit"], ("job", newest_job), "credit", {"kind": "fine_tune"}),
    ("launch batch inference", Role.EDITOR, ("jobs_job_launch_batch_inference", lambda w: []),
     lambda c, w: form_as_posted(c, reverse("admin:jobs_job_launch_batch_inference"), {
         "model_version": w.model_version.pk, "dataset_version": w.version.pk}),
     ["job.submit"], ("job", newest_job), "credit", {"kind": "batch_inference"}),
    ("launch evaluate", Role.EDITOR, ("jobs_job_launch_evaluate", lambda w: []),
     lambda c, w: form_as_posted(c, reverse("admin:jobs_job_launch_evaluate"), {
         "model_version": w.model_version.pk, "dataset_version": w.version.pk}),
     ["job.submit"], ("job", newest_job), "credit", {"kind": "evaluate"}),
    ("launch sweep", Role.EDITOR, ("jobs_job_launch_sweep", lambda w: []),
     lambda c, w: form_as_posted(c, reverse("admin:jobs_job_launch_sweep"), {
         "project": w.project.pk, "task": TASK, "dataset_version": w.version.pk, "model_name": "news3", "trials": 2}),
     ["job.submit"], ("job", newest_job), "credit", {"kind": "sweep"}),
    ("use this data: save", Role.EDITOR, ("bindings_taskbinding_use", lambda w: [w.version.pk]),
     lambda c, w: use_this_data_form(c, w, _save="1"),
     ["task_binding.create"], ("taskbinding", lambda w: newest_binding(w).pk), "credit", binding_summary),
    ("use this data: save and fine-tune", Role.EDITOR, ("bindings_taskbinding_use", lambda w: [w.version.pk]),
     lambda c, w: use_this_data_form(c, w, _fine_tune="1", model_name="sentiment"),
     ["task_binding.create", "job.submit"], ("job", newest_job), "credit", {"kind": "fine_tune"}),
    ("fine-tune from a binding", Role.EDITOR, ("bindings_taskbinding_fine_tune", lambda w: [w.binding.pk]),
     lambda c, w: {"model_name": "sentiment"}, ["job.submit"], ("job", newest_job), "credit", {"kind": "fine_tune"}),
    ("cancel job", Role.EDITOR, ("jobs_job_cancel", lambda w: [w.queued_job.pk]), lambda c, w: {},
     ["job.cancel"], ("job", lambda w: w.queued_job.pk), "credit", {"kind": "sample", "state": "cancelled"}),
    ("retry job", Role.EDITOR, ("jobs_job_retry", lambda w: [w.failed_job.pk]), lambda c, w: {},
     ["job.retry"], ("job", newest_job), "credit",
     lambda w: {"kind": "sample", "retry_of": w.failed_job.pk}),
    ("set alias", Role.OWNER, ("registry_modelversion_alias_set", lambda w: [w.model_version.pk]),
     lambda c, w: {"alias": "staging"},
     ["model_alias.set"], ("registeredmodel", lambda w: w.model.pk), "credit",
     {"model": "news", "alias": "staging", "version": 1}),
    ("remove alias", Role.OWNER, ("registry_modelversion_alias_remove", lambda w: [w.model_version.pk]),
     lambda c, w: {"name": "production"},
     ["model_alias.delete"], ("registeredmodel", lambda w: w.model.pk), "credit", {"model": "news", "alias": "production"}),
]


@pytest.mark.parametrize("row", ADMIN, ids=[row[0] for row in ADMIN])
def test_each_admin_change_leaves_one_entry(trail, row):
    _, role, (url_name, args), data, actions, (object_type, object_id), project, summary = row
    actor = trail.users[role]
    client = admin_as(actor)
    response = client.post(reverse(f"admin:{url_name}", args=args(trail)), data(client, trail))
    assert response.status_code == 302, response.context and [
        form.errors for form in response.context if hasattr(form, "errors")]
    entries = list(AuditEntry.objects.order_by("pk"))
    assert [entry.action for entry in entries] == actions
    entry = entries[-1]
    assert (entry.object_type, entry.object_id) == (object_type, str(object_id(trail)))
    assert entry.summary == (summary(trail) if callable(summary) else summary)
    assert (entry.project.slug if entry.project else None) == project
    assert all((e.actor, e.actor_username, e.token_prefix) == (actor, actor.username, "") for e in entries)
    assert all((e.ip_address, e.user_agent) == (ADDRESS, AGENT) for e in entries)


# Admin pages that change no Indus row whatever is posted to them: pages that show things,
# downloads, and the site's sign-in, sign-out and own-password pages (Django's auth).
ADMIN_READS = {
    "index", "login", "logout", "password_change", "password_change_done", "autocomplete", "jsi18n", "view_on_site",
    "app_list", "plugins", "jobs_job_change", "jobs_job_live", "jobs_job_predictions", "registry_modelversion_compare",
    "registry_modelversion_download",
}
# The row pages the admin grants no one: posting to them as an owner (or a superuser) is
# refused, and records nothing. Each names the world's row it is tried on (None: an add page).
ADMIN_REFUSED = {
    "tenancy_project_delete": "project",
    "tenancy_apitoken_add": None, "tenancy_apitoken_change": "spare", "tenancy_apitoken_delete": "spare",
    "tenancy_auditentry_add": None,
    "datasets_dataset_change": "dataset", "datasets_dataset_delete": "dataset",
    "datasets_datasetversion_add": None, "datasets_datasetversion_change": "version",
    "datasets_datasetversion_delete": "version",
    "jobs_job_add": None, "jobs_job_delete": "queued_job",
    "registry_registeredmodel_add": None, "registry_registeredmodel_change": "model",
    "registry_registeredmodel_delete": "model",
    "registry_modelversion_add": None, "registry_modelversion_change": "model_version",
    "registry_modelversion_delete": "model_version",
    "bindings_taskbinding_add": None, "bindings_taskbinding_change": "binding", "bindings_taskbinding_delete": "binding",
}
# The audit log's own rows: nobody may change them, and an entry is needed to try.
ADMIN_AUDIT_ROWS = ("tenancy_auditentry_change", "tenancy_auditentry_delete")


def test_the_admin_table_names_every_page_that_can_change_something():
    # Other apps' pages (Django's users and groups, django-axes' logs) are for superusers and
    # are recorded by Django's own admin log.
    others = tuple(f"admin:{app.label}_" for app in apps.get_app_configs() if not app.name.startswith("indus."))
    names = {name.removeprefix("admin:") for name, _ in resolved(get_resolver().url_patterns)
             if name.startswith("admin:") and not name.startswith(others)} - {""}
    listed = {row[2][0] for row in ADMIN} | ADMIN_READS | set(ADMIN_REFUSED) | set(ADMIN_AUDIT_ROWS)
    # Lists and histories show rows (their actions are checked on their own, below).
    # A kind that a plugin adds (a dotted name) is launched by the same generated form, through
    # the same service, as the apps' kinds in ADMIN.
    shown_or_generated = {name for name in names if name.endswith(("_changelist", "_history"))
                          or (name.startswith("jobs_job_launch_") and "." in name)}
    assert names - shown_or_generated - listed == set()
    assert listed - names == set()


@pytest.mark.parametrize("role", [Role.OWNER, "superuser"])
@pytest.mark.parametrize("url_name", sorted(ADMIN_REFUSED))
def test_the_admins_read_only_rows_refuse_a_post_and_record_nothing(trail, url_name, role):
    row = ADMIN_REFUSED[url_name]
    args = [getattr(trail, row).pk] if row else []
    response = admin_as(trail.users[role]).post(reverse(f"admin:{url_name}", args=args), {"post": "yes", "name": "x"})
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_the_audit_log_itself_cannot_be_changed_in_the_admin(trail, api_client):
    api_send(api_client(trail.users[Role.OWNER]), "post", "/api/v1/projects/credit/datasets/", {"name": "loans"})
    entry = the_entry()
    owner = admin_as(trail.users[Role.OWNER])
    for url_name in ADMIN_AUDIT_ROWS:
        response = owner.post(reverse(f"admin:{url_name}", args=[entry.pk]), {"post": "yes", "action": "forged"})
        assert response.status_code == 403
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["dataset.create"]


def stored(w) -> dict:
    """What the refused changes below could have changed, as stored."""
    project = Project.objects.get(pk=w.project.pk)
    return {
        "project": (project.slug, project.name, project.description),
        "members": sorted(w.project.memberships.values_list("user__username", "role")),
        "jobs": sorted(w.project.jobs.values_list("pk", "state", "cancel_requested_at")),
        "datasets": sorted(w.project.datasets.values_list("name", "description")),
        "versions": sorted(DatasetVersion.objects.filter(dataset__project=w.project).values_list("pk", "sha256")),
        "aliases": sorted(ModelAlias.objects.filter(model__project=w.project).values_list("name", "version_id")),
        "bindings": sorted(TaskBinding.objects.filter(project=w.project).values_list("pk", flat=True)),
    }


# Refused outright (403), shown again with the problem next to its field (200), or sent back to
# the row's page with an error message (302).
#  page                          role          admin URL and its arguments                     data posted    status
ADMIN_REFUSED_CHANGES = [
    ("viewer uploads", Role.VIEWER, ("datasets_dataset_upload", lambda w: [w.dataset.pk]),
     lambda c, w: {"file": csv_file()}, 403),
    ("upload of a .exe", Role.EDITOR, ("datasets_dataset_upload", lambda w: [w.dataset.pk]),
     lambda c, w: {"file": csv_file("rows.exe"), "encoding": "utf-8", "delimiter": ","}, 200),
    ("viewer cancels", Role.VIEWER, ("jobs_job_cancel", lambda w: [w.queued_job.pk]), lambda c, w: {}, 403),
    ("cancel a failed job", Role.EDITOR, ("jobs_job_cancel", lambda w: [w.failed_job.pk]), lambda c, w: {}, 302),
    ("retry a queued job", Role.EDITOR, ("jobs_job_retry", lambda w: [w.queued_job.pk]), lambda c, w: {}, 302),
    ("viewer launches", Role.VIEWER, ("jobs_job_launch_evaluate", lambda w: []),
     lambda c, w: {"model_version": w.model_version.pk, "dataset_version": w.version.pk}, 403),
    ("editor adds a member", Role.EDITOR, ("tenancy_membership_add", lambda w: []),
     lambda c, w: {"project": w.project.pk, "user": user_named("newbie").pk, "role": "viewer"}, 403),
    ("demote the last owner", Role.OWNER, ("tenancy_membership_change", lambda w: [membership(w, "alice").pk]),
     lambda c, w: {"role": "viewer"}, 200),
    ("editor sets an alias", Role.EDITOR, ("registry_modelversion_alias_set", lambda w: [w.model_version.pk]),
     lambda c, w: {"alias": "staging"}, 403),
    ("bad alias name", Role.OWNER, ("registry_modelversion_alias_set", lambda w: [w.model_version.pk]),
     lambda c, w: {"alias": "Prod 1"}, 200),
    ("remove a missing alias", Role.OWNER, ("registry_modelversion_alias_remove", lambda w: [w.model_version.pk]),
     lambda c, w: {"name": "staging"}, 302),
    ("viewer saves a binding", Role.VIEWER, ("bindings_taskbinding_use", lambda w: [w.version.pk]),
     lambda c, w: use_this_data_form(c, w, _save="1"), 403),
    ("a binding the proposal refuses", Role.EDITOR, ("bindings_taskbinding_use", lambda w: [w.version.pk]),
     lambda c, w: use_this_data_form(c, w, positive_label="negative", _save="1"), 200),
    ("a fine-tune of a bad name", Role.EDITOR, ("bindings_taskbinding_use", lambda w: [w.version.pk]),
     lambda c, w: use_this_data_form(c, w, model_name="bad name", _fine_tune="1"), 200),
    ("viewer fine-tunes a binding", Role.VIEWER, ("bindings_taskbinding_fine_tune", lambda w: [w.binding.pk]),
     lambda c, w: {"model_name": "sentiment"}, 403),
    ("fine-tune a binding under a bad name", Role.EDITOR,
     ("bindings_taskbinding_fine_tune", lambda w: [w.binding.pk]), lambda c, w: {"model_name": "bad name"}, 302),
    ("editor changes the project", Role.EDITOR, ("tenancy_project_change", lambda w: [w.project.pk]),
     lambda c, w: project_form(w.project, name="Taken over"), 403),
]


@pytest.mark.parametrize("row", ADMIN_REFUSED_CHANGES, ids=[row[0] for row in ADMIN_REFUSED_CHANGES])
def test_a_refused_admin_change_changes_nothing_and_leaves_no_entry(trail, row):
    _, role, (url_name, args), data, status = row
    client = admin_as(trail.users[role])
    before = stored(trail)
    response = client.post(reverse(f"admin:{url_name}", args=args(trail)), data(client, trail))
    assert response.status_code == status
    if status == 200:  # the form again, saying what is wrong
        assert b'class="errorlist' in response.content
    if status == 302:  # back to the row's page, with the reason
        said = [message for message in get_messages(response.wsgi_request) if message.level == messages.ERROR]
        assert said, "refused without saying why"
    assert stored(trail) == before
    assert not AuditEntry.objects.exists()


# Posting a form back unchanged is no change: nothing is recorded.
#  page                          role          admin URL and its arguments                     data posted
ADMIN_UNCHANGED = [
    ("project saved as it is", Role.OWNER, ("tenancy_project_change", lambda w: [w.project.pk]),
     lambda w: project_form(w.project)),
    ("member given the role they hold", Role.OWNER, ("tenancy_membership_change", lambda w: [membership(w, "vera").pk]),
     lambda w: {"role": "viewer"}),
]


@pytest.mark.parametrize("row", ADMIN_UNCHANGED, ids=[row[0] for row in ADMIN_UNCHANGED])
def test_an_admin_form_saved_unchanged_leaves_no_entry(trail, row):
    _, role, (url_name, args), data = row
    before = stored(trail)
    response = admin_as(trail.users[role]).post(reverse(f"admin:{url_name}", args=args(trail)), data(trail))
    assert response.status_code == 302
    assert stored(trail) == before
    assert not AuditEntry.objects.exists()


def test_an_api_role_change_to_the_same_role_leaves_no_entry(trail, api_client):
    response = api_send(api_client(trail.users[Role.OWNER]), "patch", "/api/v1/projects/credit/members/vera/",
                        {"role": "viewer"})
    assert response.status_code == 200 and response.json()["role"] == "viewer"
    assert not AuditEntry.objects.exists()


# Admin list actions that change nothing stored (they show or compare rows).
ADMIN_READ_ONLY_ACTIONS = {("registry.modelversion", "compare_selected")}
# Other apps' list actions (Django's users and groups, django-axes' logs): superusers' pages,
# recorded by Django's own admin log, as their pages are.
OTHER_APPS_ACTIONS = {
    ("auth.group", "delete_selected"), ("auth.user", "delete_selected"),
    ("axes.accessattempt", "delete_selected"), ("axes.accessattempt", "cleanup_expired_attempts"),
    ("axes.accesslog", "delete_selected"), ("axes.accessfailurelog", "delete_selected"),
}


def test_the_admin_table_names_every_list_action(trail, rf):
    """Every action any admin list offers (to a superuser, who is offered them all) is a row of
    ADMIN, posted to its list, or is known to change nothing of Indus."""
    request = rf.get("/admin/")
    request.user = trail.users["superuser"]
    changelists = {f"{model._meta.app_label}_{model._meta.model_name}_changelist": model._meta.label_lower
                   for model in admin.site._registry}
    offered = {(model._meta.label_lower, name) for model, model_admin in admin.site._registry.items()
               for name in model_admin.get_actions(request)}
    covered = {(changelists[url_name], data(None, trail)["action"])
               for _, _, (url_name, _), data, *_ in ADMIN if url_name in changelists}
    assert offered - ADMIN_READ_ONLY_ACTIONS - OTHER_APPS_ACTIONS == covered
    assert (ADMIN_READ_ONLY_ACTIONS | OTHER_APPS_ACTIONS) <= offered, "an allowed action no longer exists"


def test_a_dataset_whose_first_file_is_refused_leaves_neither_dataset_nor_entry(trail):
    """The admin makes the dataset and queues its import in one transaction: the refused file
    rolls back the dataset, and the entry recorded for it with it."""
    response = admin_as(trail.users[Role.EDITOR]).post(
        reverse("admin:datasets_dataset_add"), dataset_add_form(trail) | {"file": csv_file("rows.exe")})
    assert response.status_code == 200 and "file" in response.context["adminform"].form.errors
    assert not trail.project.datasets.filter(name="loans").exists()
    assert not AuditEntry.objects.exists()


def test_a_replayed_submission_is_not_recorded_again(trail, api_client):
    client = api_client(trail.users[Role.EDITOR])
    body = {"kind": "evaluate", "model_version": trail.model_version.pk, "dataset_version": trail.version.pk}
    first = client.post("/api/v1/projects/credit/jobs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/projects/credit/jobs/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert the_entry().object_id == str(first.json()["id"])


def test_token_entries_are_shown_in_the_admin_to_the_user_who_acted(trail, api_client):
    """A token is in no project, so no project's owner reads its entries: the user who made or
    revoked it does (and superusers), in the admin's audit log; the API lists projects' logs."""
    made = api_send(api_client(trail.users[Role.EDITOR]), "post", "/api/v1/tokens/", {"name": "ed's laptop"})
    api_send(api_client(trail.users[Role.OWNER]), "post", "/api/v1/projects/credit/datasets/", {"name": "loans"})
    token_entry = AuditEntry.objects.get(action="token.create")
    assert token_entry.object_id == str(made.json()["id"]) and token_entry.project is None
    changelist = reverse("admin:tenancy_auditentry_changelist")
    entry_page = reverse("admin:tenancy_auditentry_change", args=[token_entry.pk])

    def listed(role) -> list[str]:
        response = admin_as(trail.users[role]).get(changelist)
        assert response.status_code == 200
        return sorted(entry.action for entry in response.context["cl"].result_list)

    # ed (an editor: no project log of his own) sees his token's entry, and nothing of credit's.
    assert listed(Role.EDITOR) == ["token.create"]
    assert admin_as(trail.users[Role.EDITOR]).get(entry_page).status_code == 200
    # alice owns credit: its log, not ed's token.
    assert listed(Role.OWNER) == ["dataset.create"]
    assert admin_as(trail.users[Role.OWNER]).get(entry_page).status_code == 404
    assert listed("superuser") == ["dataset.create", "token.create"]
