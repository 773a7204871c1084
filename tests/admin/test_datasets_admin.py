"""Datasets in the admin: uploading with the services' checks, role gates, the version page."""
import pyarrow as pa
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.html import Element, parse_html
from django.urls import reverse

from indus.datasets.models import Dataset
from indus.datasets.services import dataset_upload
from indus.jobs.execution import execute_job
from indus.jobs.models import Job
from indus.tenancy.services import membership_set
from tests.support.datasets import DOES_NOT_FIT, FITS, two_task_csv

ADD_URL = "/admin/datasets/dataset/add/"
CSV = b"age,income,risk_band\n30,1000,low\n40,2000,high\n"
TASK = "finance.credit_scoring"


# --- a few helpers to look inside the rendered HTML -------------------------------------

def page(response) -> Element:
    return parse_html(response.content.decode())


def _attrs(node) -> dict:
    return dict(node.attributes) if isinstance(node, Element) else {}


def find_all(node, tag=None, id=None, cls=None) -> list[Element]:
    found = []
    for child in getattr(node, "children", []):
        if not isinstance(child, Element):
            continue
        attrs = _attrs(child)
        if (
            (tag is None or child.name == tag)
            and (id is None or attrs.get("id") == id)
            and (cls is None or cls in (attrs.get("class") or "").split())
        ):
            found.append(child)
        found.extend(find_all(child, tag, id, cls))
    return found


def find(node, **kwargs) -> Element:
    found = find_all(node, **kwargs)
    assert found, f"no element matching {kwargs}"
    return found[0]


def text(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(text(child) for child in node.children)


def field_errors(response, field: str) -> str:
    """The text of the error list inside the form row of `field`."""
    row = find(page(response), cls=f"field-{field}")
    return " ".join(text(errors) for errors in find_all(row, tag="ul", cls="errorlist"))


def csv_file(content: bytes = CSV, name: str = "loans.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def add_form(project, **overrides) -> dict:
    data = {"project": project.pk, "name": "loans", "description": "", "task": "", "file": csv_file(),
            "encoding": "utf-8", "delimiter": ",", "_save": "Save"}
    data.update(overrides)
    return data


def member_of(project, role: str, username: str):
    from django.test import Client

    member = get_user_model().objects.create_user(username=username, password="pw")
    membership_set(project=project, user=member, role=role)
    client = Client()
    client.force_login(member)
    return client


# --- creating a dataset by uploading its first file -------------------------------------

def test_an_editor_uploads_a_csv_and_its_import_is_queued_with_the_task(admin_client_as, project):
    client = admin_client_as("editor")
    form = client.get(ADD_URL)
    assert form.status_code == 200
    html = page(form)
    assert find(html, tag="form", id="dataset_form")
    options = [_attrs(o).get("value") for o in find_all(find(html, id="id_task"), tag="option")]
    assert TASK in options
    projects = find_all(find(html, id="id_project"), tag="option")
    assert [_attrs(o).get("value") for o in projects] == ["", str(project.pk)]

    response = client.post(ADD_URL, add_form(project, task=TASK, description="Q3 applications"))

    dataset = Dataset.objects.get(project=project, name="loans")
    assert dataset.description == "Q3 applications"
    assert dataset.created_by == client.user
    job = Job.objects.get()
    assert (job.kind, job.state, job.project) == ("import", "queued", project)
    assert job.spec["dataset_id"] == dataset.pk
    assert job.spec["task"] == TASK
    assert job.spec["original_name"] == "loans.csv"
    assert job.created_by == client.user
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:datasets_dataset_change", args=[dataset.pk])
    # The dataset's page says the job is queued, links to it and lists it with its state.
    shown = client.get(response["Location"])
    assert "import job" in shown.content.decode() and f"#{job.pk}" in shown.content.decode()
    jobs = find(page(shown), tag="table", id="dataset-jobs")
    assert reverse("admin:jobs_job_change", args=[job.pk]) in [_attrs(a)["href"] for a in find_all(jobs, tag="a")]
    assert "Queued" in text(jobs)


@pytest.mark.parametrize(
    "overrides,field,words",
    [
        ({"file": csv_file(name="loans.xlsx")}, "file", "not supported"),
        ({"file": csv_file(content=b"")}, "file", "the file is empty"),
        ({"task": "finance.nonexistent"}, "task", "no loaded plugin provides task"),
        ({"delimiter": ";;"}, "delimiter", "single character"),
    ],
    ids=["wrong-extension", "empty-file", "unknown-task", "bad-delimiter"],
)
def test_a_refused_file_shows_the_error_next_to_its_field_and_creates_nothing(
    admin_client_as, project, overrides, field, words
):
    client = admin_client_as("editor")

    response = client.post(ADD_URL, add_form(project, **overrides))

    assert response.status_code == 200
    assert words in field_errors(response, field)
    assert not Dataset.objects.exists()
    assert not Job.objects.exists()


def test_a_duplicate_name_is_shown_next_to_the_name(admin_client_as, project, dataset):
    client = admin_client_as("editor")

    response = client.post(ADD_URL, add_form(project, name=dataset.name))

    assert response.status_code == 200
    assert "already has a dataset named" in field_errors(response, "name")
    assert Dataset.objects.count() == 1
    assert not Job.objects.exists()


def test_an_editor_cannot_upload_into_a_project_where_they_only_view(admin_client_as, project, other_project):
    client = admin_client_as("editor")
    membership_set(project=other_project, user=client.user, role="viewer")

    response = client.post(ADD_URL, add_form(other_project))

    assert response.status_code == 200
    assert "valid choice" in field_errors(response, "project")
    assert not Dataset.objects.exists()


def test_a_viewer_gets_no_add_button_and_cannot_post(admin_client_as, project, dataset):
    client = admin_client_as("viewer")

    changelist = client.get("/admin/datasets/dataset/")
    assert changelist.status_code == 200
    assert dataset.name in changelist.content.decode()
    assert not find_all(page(changelist), cls="addlink")
    assert client.get(ADD_URL).status_code == 403
    assert client.post(ADD_URL, add_form(project, name="other")).status_code == 403
    assert Dataset.objects.count() == 1
    assert not Job.objects.exists()


def test_an_editor_sees_the_add_button(admin_client_as, dataset):
    changelist = admin_client_as("editor").get("/admin/datasets/dataset/")
    assert _attrs(find(page(changelist), cls="addlink"))["href"] == ADD_URL


# --- uploading a new version of an existing dataset -------------------------------------

def upload_url(dataset) -> str:
    return reverse("admin:datasets_dataset_upload", args=[dataset.pk])


def test_an_editor_uploads_a_new_version_from_the_dataset_page(admin_client_as, dataset):
    client = admin_client_as("editor")
    change = client.get(reverse("admin:datasets_dataset_change", args=[dataset.pk]))
    upload_form = find(page(change), tag="form", id="dataset-upload-form")
    assert _attrs(upload_form)["action"] == upload_url(dataset) == f"/admin/datasets/dataset/{dataset.pk}/upload/"
    upload_page = client.get(upload_url(dataset))
    assert upload_page.status_code == 200
    assert find(page(upload_page), tag="form", id="dataset-upload-form")

    response = client.post(upload_url(dataset), {"file": csv_file(), "task": TASK, "encoding": "", "delimiter": ""})

    job = Job.objects.get()
    assert (job.kind, job.spec["dataset_id"], job.spec["task"]) == ("import", dataset.pk, TASK)
    assert (job.spec["encoding"], job.spec["delimiter"]) == ("utf-8", ",")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:datasets_dataset_change", args=[dataset.pk])


def test_a_refused_new_version_shows_the_error_and_queues_nothing(admin_client_as, dataset):
    client = admin_client_as("editor")

    response = client.post(upload_url(dataset), {"file": csv_file(name="loans.exe")})

    assert response.status_code == 200
    assert "not supported" in field_errors(response, "file")
    assert not Job.objects.exists()


def test_a_viewer_sees_no_upload_form_and_cannot_upload(admin_client_as, dataset):
    client = admin_client_as("viewer")
    change = client.get(reverse("admin:datasets_dataset_change", args=[dataset.pk]))
    assert change.status_code == 200
    assert not find_all(page(change), id="dataset-upload-form")

    assert client.get(upload_url(dataset)).status_code == 403
    assert client.post(upload_url(dataset), {"file": csv_file()}).status_code == 403
    assert not Job.objects.exists()


# --- another project's rows do not exist ------------------------------------------------

def test_a_member_of_another_project_gets_404(other_project, dataset, stored_version):
    version = stored_version(pa.table({"x": [1, 2]}))
    client = member_of(other_project, "owner", "mallory-colleague")

    assert client.get(reverse("admin:datasets_dataset_change", args=[dataset.pk])).status_code == 404
    assert client.get(reverse("admin:datasets_datasetversion_change", args=[version.pk])).status_code == 404
    assert client.get(upload_url(dataset)).status_code == 404
    assert client.post(upload_url(dataset), {"file": csv_file()}).status_code == 404
    listed = client.get("/admin/datasets/dataset/").content.decode()
    assert dataset.name not in listed
    assert not Job.objects.exists()


# --- the version page -------------------------------------------------------------------

LABELS = ["low"] * 5 + ["medium"] * 3 + ["high"] * 2 + [None]


@pytest.fixture
def small_version(stored_version):
    return stored_version(pa.table({
        "age": list(range(20, 31)),
        "income": [1000.0 + i for i in range(10)] + [None],
        "risk_band": LABELS,
    }))


def test_the_dataset_page_lists_its_versions_with_links(admin_client_as, dataset, small_version):
    change = admin_client_as("viewer").get(reverse("admin:datasets_dataset_change", args=[dataset.pk]))
    versions = find(page(change), tag="table", id="dataset-versions")
    links = find_all(versions, tag="a", cls="version-link")
    version_url = reverse("admin:datasets_datasetversion_change", args=[small_version.pk])
    assert [_attrs(a)["href"] for a in links] == [version_url]
    assert "11" in text(versions)  # its row count


def test_the_version_page_shows_lineage_preview_profile_and_label_chart(admin_client_as, small_version):
    url = reverse("admin:datasets_datasetversion_change", args=[small_version.pk])

    response = admin_client_as("viewer").get(url, {"column": "risk_band"})

    assert response.status_code == 200
    html = page(response)
    assert small_version.sha256 in text(html)
    preview = find(html, tag="table", id="dataset-preview")
    assert [text(th) for th in find_all(find(preview, tag="thead"), tag="th")] == ["age", "income", "risk_band"]
    rows = find_all(find(preview, tag="tbody"), tag="tr")
    assert len(rows) == 11
    assert [text(td) for td in find_all(rows[0], tag="td")] == ["20", "1000.0", "low"]

    profile = find(html, tag="table", id="dataset-profile")
    profile_rows = find_all(find(profile, tag="tbody"), tag="tr")
    assert [_attrs(r)["data-column"] for r in profile_rows] == ["age", "income", "risk_band"]
    income = profile_rows[1]
    assert "1 (9.1%)" in text(find(income, cls="profile-missing"))
    assert "1000.0" in text(income) and "1009.0" in text(income)  # min and max

    chart = find(html, tag="svg", id="label-chart")
    bars = find_all(chart, tag="g", cls="bar")
    assert len(bars) == 3
    assert [text(find(bar, tag="title")) for bar in bars] == ["low: 5", "medium: 3", "high: 2"]
    assert [text(find(bar, cls="bar-count")) for bar in bars] == ["5", "3", "2"]
    widths = [float(_attrs(find(bar, tag="rect"))["width"]) for bar in bars]
    assert widths[0] > widths[1] > widths[2] > 0


def test_the_label_chart_defaults_to_the_target_of_the_imports_task(admin_client_as, dataset, stored_version, upload):
    job = dataset_upload(dataset=dataset, file=upload("risk_band\nlow\n"), task=TASK)
    table = pa.table({"risk_band": ["low", "low", "high"]})
    version = stored_version(table, import_job=job)

    html = page(admin_client_as("viewer").get(reverse("admin:datasets_datasetversion_change", args=[version.pk])))

    bars = find_all(find(html, tag="svg", id="label-chart"), tag="g", cls="bar")
    assert [text(find(bar, tag="title")) for bar in bars] == ["low: 2", "high: 1"]


def test_the_label_chart_keeps_the_30_most_frequent_values_and_groups_the_rest(admin_client_as, stored_version):
    values = [f"v{i:02d}" for i in range(40) for _ in range(40 - i)]
    version = stored_version(pa.table({"label": values}))

    html = page(admin_client_as("viewer").get(
        reverse("admin:datasets_datasetversion_change", args=[version.pk]), {"column": "label"}
    ))

    bars = find_all(find(html, tag="svg", id="label-chart"), tag="g", cls="bar")
    assert len(bars) == 31
    assert text(find(bars[0], tag="title")) == "v00: 40"
    # v30..v39 occur 10, 9, ... 1 times: 55 rows in 10 values.
    assert text(find(bars[-1], tag="title")) == "other (10 values): 55"


def test_a_column_without_value_counts_is_said_plainly(admin_client_as, stored_version, monkeypatch):
    monkeypatch.setattr("indus.datasets.profiling.DISTINCT_CAP", 3)
    version = stored_version(pa.table({"id": list(range(10)), "label": ["a", "b"] * 5}))

    html = page(admin_client_as("viewer").get(
        reverse("admin:datasets_datasetversion_change", args=[version.pk]), {"column": "id"}
    ))

    assert not find_all(html, id="label-chart")
    assert "keeps no value counts for column 'id'" in text(find(html, id="label-note"))
    # Only the columns with value counts are offered.
    assert [_attrs(o)["value"] for o in find_all(find(html, id="label-column"), tag="option")] == ["label"]


# --- the same content uploaded again under another task ---------------------------------

def upload_and_run(client, dataset, content: bytes, task: str) -> Job:
    response = client.post(upload_url(dataset), {"file": csv_file(content, name="rows.csv"), "task": task})
    assert response.status_code == 302
    job = Job.objects.latest("id")
    execute_job(job_id=job.pk, worker="test-worker")
    job.refresh_from_db()
    return job


def version_tasks(client, version_id: int) -> str:
    html = page(client.get(reverse("admin:datasets_datasetversion_change", args=[version_id])))
    return text(find(find(html, cls="field-tasks"), cls="readonly"))


@pytest.mark.django_db(transaction=True)
def test_the_same_file_under_another_task_is_checked_and_the_version_says_which_tasks_it_fits(
    admin_client_as, dataset
):
    client = admin_client_as("editor")
    content = two_task_csv()
    first = upload_and_run(client, dataset, content, FITS[0])
    assert first.state == "succeeded", first.error
    version_id = first.result["dataset_version_id"]
    assert version_tasks(client, version_id) == FITS[0]

    refused = upload_and_run(client, dataset, content, DOES_NOT_FIT)
    assert refused.state == "failed"
    assert "column 'ticket_id' is missing" in refused.error
    # The dataset's page shows why, and the version still claims only the task it was checked against.
    jobs = text(find(page(client.get(reverse("admin:datasets_dataset_change", args=[dataset.pk]))), id="dataset-jobs"))
    assert f"does not fit task {DOES_NOT_FIT}" in jobs
    assert dataset.versions.count() == 1
    assert version_tasks(client, version_id) == FITS[0]

    also = upload_and_run(client, dataset, content, FITS[1])
    assert (also.state, also.result["dataset_version_id"]) == ("succeeded", version_id)
    assert version_tasks(client, version_id) == ", ".join(FITS)
