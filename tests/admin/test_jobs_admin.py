"""The admin's job pages: launching fine-tuning and batch inference, the live job page, cancel,
retry and the predictions download, each behind the roles of the job's project."""
import re

import pyarrow as pa
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion
from indus.datasets.services import dataset_create, dataset_version_create
from indus.evaluation.services import evaluation_submit
from indus.jobs import parts, services
from indus.jobs.models import Job
from indus.jobs.states import JobState
from indus.plugins.manager import get_registry
from indus.tenancy.models import Role
from indus.tenancy.services import membership_set
from indus.training.hyperparameters import HYPERPARAMETERS, defaults
from tests.support.forms import as_posted

TASK = "finance.news_sentiment"
FINE_TUNE = reverse("admin:jobs_job_launch_fine_tune")
BATCH = reverse("admin:jobs_job_launch_batch_inference")
EVALUATE = reverse("admin:jobs_job_launch_evaluate")


def page(job: Job, action: str = "change") -> str:
    return reverse(f"admin:jobs_job_{action}", args=[job.pk])


def gated_job(project) -> Job:
    return services.job_create(project=project, kind="test.gated", spec={"gate": "g"})


@pytest.fixture
def headlines(stored_version):
    """A dataset version that fits finance.news_sentiment."""
    labels = ["negative", "neutral", "positive"] * 40
    return stored_version(pa.table({
        "headline_id": list(range(len(labels))),
        "headline": [f"Shares {'fall' if y == 'negative' else 'rise' if y == 'positive' else 'hold'}" for y in labels],
        "sentiment": labels,
    }))


@pytest.fixture
def editor(admin_client_as):
    return admin_client_as(Role.EDITOR)


@pytest.fixture
def viewer(admin_client_as):
    return admin_client_as(Role.VIEWER)


def field_row(html: str, name: str) -> str:
    """The rendered form row of one field: its errors, label, input and help text."""
    match = re.search(rf'<div class="form-row field-{name}[ "].*?(?=<div class="form-row |</fieldset>)', html, re.S)
    assert match, f"no form row for {name}"
    return match.group(0)


def fine_tune_defaults(client, project) -> dict:
    """What the form holds when an editor opens it for the task, as a browser would post it."""
    return as_posted(client.get(FINE_TUNE, {"project": project.pk, "task": TASK}).context["form"])


# --- Launching a fine-tune --------------------------------------------------------------------


def test_the_fine_tune_form_has_a_field_per_hyperparameter_with_default_and_help(editor, project, headlines):
    response = editor.get(FINE_TUNE, {"project": project.pk, "task": TASK})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="launch-form"' in html and 'id="launch"' in html
    form = response.context["form"]
    task = get_registry().tasks[TASK]
    expected = defaults(backbone=get_registry().backbones[task.backbone], task=task)  # the task's backbone's
    for spec in HYPERPARAMETERS:
        row = field_row(html, spec.name)
        assert f'id="id_{spec.name}"' in row
        assert spec.help in row
        assert form[spec.name].value() == expected[spec.name]
        if spec.kind is bool:
            assert ('checked' in row) is expected[spec.name]
        else:
            assert f'value="{form[spec.name].field.widget.format_value(expected[spec.name])}"' in row
    # The task's contract fills in the rest: its backbone, and datasets of this project only.
    assert form["backbone"].value() == "minilm"
    assert f"applications v{headlines.number} (120 rows)" in html


def test_without_a_task_only_the_project_and_task_are_asked(editor, project):
    response = editor.get(FINE_TUNE)
    html = response.content.decode()
    assert 'id="id_project"' in html and 'id="id_task"' in html and TASK in html
    assert 'id="id_epochs"' not in html and 'id="launch"' not in html


@pytest.mark.parametrize("field,value,words", [
    ("epochs", "0", "must be greater than 0, not 0"),
    ("learning_rate", "abc", "Enter a number."),
    ("max_length", "1024", "reads at most 512 tokens"),
    ("model_name", "../etc", "a model name has"),
])
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_queued(editor, project, headlines, field, value, words):
    data = fine_tune_defaults(editor, project) | {"dataset_version": headlines.pk, field: value}
    response = editor.post(FINE_TUNE, data)
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors[field])
    row = field_row(response.content.decode(), field)
    assert 'class="errorlist' in row and words in row
    assert not Job.objects.exists()


def test_every_bad_hyperparameter_is_named_even_when_another_field_is_missing(editor, project):
    data = fine_tune_defaults(editor, project) | {"epochs": "0", "warmup_ratio": "0.9"}
    data.pop("dataset_version", None)
    errors = editor.post(FINE_TUNE, data).context["form"].errors
    assert errors["dataset_version"] == ["This field is required."]
    assert errors["epochs"] == ["must be greater than 0, not 0"]
    assert errors["warmup_ratio"] == ["must be at most 0.5, not 0.9"]
    assert not Job.objects.exists()


def test_a_valid_launch_queues_the_job_with_the_chosen_values(editor, project, headlines):
    data = fine_tune_defaults(editor, project) | {
        "dataset_version": headlines.pk, "model_name": "news", "epochs": "2", "learning_rate": "0.0001",
        "class_weighting": "on",
    }
    response = editor.post(FINE_TUNE, data)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == page(job)
    assert (job.kind, job.state, job.project, job.created_by) == ("fine_tune", JobState.QUEUED, project, editor.user)
    assert job.spec["task"] == TASK and job.spec["model_name"] == "news"
    assert job.spec["dataset_version_id"] == headlines.pk and job.spec["backbone"] == "minilm"
    assert job.spec["hyperparameters"]["epochs"] == 2.0
    assert job.spec["hyperparameters"]["learning_rate"] == 0.0001
    assert job.spec["hyperparameters"]["class_weighting"] is True


def test_a_dataset_of_another_project_cannot_be_chosen(editor, project, other_project, headlines):
    data = fine_tune_defaults(editor, project) | {"dataset_version": headlines.pk}
    membership_set(project=other_project, user=editor.user, role=Role.EDITOR)
    response = editor.post(FINE_TUNE, data | {"project": other_project.pk})
    assert "dataset_version" in response.context["form"].errors
    assert not Job.objects.exists()


def test_an_editor_cannot_launch_in_a_project_where_they_only_view(editor, project, other_project, headlines):
    membership_set(project=other_project, user=editor.user, role=Role.VIEWER)
    data = fine_tune_defaults(editor, project) | {"dataset_version": headlines.pk, "project": other_project.pk}
    response = editor.post(FINE_TUNE, data)
    assert "project" in response.context["form"].errors
    assert f'value="{other_project.pk}"' not in field_row(response.content.decode(), "project")
    assert not Job.objects.exists()


# --- Launching batch inference ----------------------------------------------------------------


def batch_data(model_version, dataset_version, **overrides) -> dict:
    return {"model_version": model_version.pk, "dataset_version": dataset_version.pk, "output_format": "csv",
            "on_bad_rows": "fail", "batch_size": "64", **overrides}


def test_the_batch_form_preselects_a_model_version(editor, model_version, support_tickets):
    response = editor.get(BATCH, {"model_version": model_version.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf'<option value="{model_version.pk}" selected>', html)
    for element in ('id="launch-form"', 'id="id_dataset_version"', 'id="id_output_format"', 'id="launch"'):
        assert element in html


def test_a_dataset_without_the_models_columns_is_refused_next_to_it(editor, model_version, stored_version):
    wrong = stored_version(pa.table({"ticket_id": [1], "text": ["hello"]}))
    response = editor.post(BATCH, batch_data(model_version, wrong))
    assert response.status_code == 200
    assert "column 'message' is missing" in " ".join(response.context["form"].errors["dataset_version"])
    assert "column &#x27;message&#x27; is missing" in field_row(response.content.decode(), "dataset_version")
    assert not Job.objects.exists()


def test_a_missing_id_column_is_refused_next_to_it(editor, model_version, support_tickets):
    response = editor.post(BATCH, batch_data(model_version, support_tickets, id_column="nope"))
    assert response.context["form"].errors["id_column"] == ["the dataset has no column 'nope'"]
    assert not Job.objects.exists()


def test_a_dataset_of_another_project_is_refused(editor, model_version, other_project):
    membership_set(project=other_project, user=editor.user, role=Role.EDITOR)
    elsewhere, _ = dataset_version_create(
        dataset=dataset_create(project=other_project, name="elsewhere"), sha256="0" * 64,
        source=DatasetVersion.Source.UPLOAD, data_path="x", size_bytes=1, row_count=1,
        columns=[{"name": "ticket_id", "type": "int64"}, {"name": "message", "type": "string"}], profile={},
    )
    response = editor.post(BATCH, batch_data(model_version, elsewhere))
    assert response.context["form"].errors["dataset_version"] == ["no such dataset version in this project"]
    assert not Job.objects.exists()


def test_a_valid_batch_launch_queues_the_job(editor, model_version, support_tickets):
    response = editor.post(BATCH, batch_data(model_version, support_tickets, int8="on", explain_top="5"))
    job = Job.objects.get()
    assert response["Location"] == page(job)
    assert (job.kind, job.state) == ("batch_inference", JobState.QUEUED)
    assert job.spec["output_format"] == "csv" and job.spec["dataset_version_id"] == support_tickets.pk
    assert (job.spec["int8"], job.spec["explain"], job.spec["id_column"]) == (True, {"top": 5}, "ticket_id")


# --- Launching an evaluation -------------------------------------------------------------------


def test_the_evaluate_form_preselects_a_model_version_from_its_page(editor, model_version):
    version_page = editor.get(reverse("admin:registry_modelversion_change", args=[model_version.pk])).content.decode()
    assert f'href="{EVALUATE}?model_version={model_version.pk}"' in version_page
    html = editor.get(EVALUATE, {"model_version": model_version.pk}).content.decode()
    assert re.search(rf'<option value="{model_version.pk}" selected>', html)
    assert 'id="id_dataset_version"' in html and "target column" in html and 'id="id_output_format"' not in html


def test_an_evaluation_needs_the_target_column_next_to_the_dataset(editor, model_version, support_tickets):
    response = editor.post(EVALUATE, {"model_version": model_version.pk, "dataset_version": support_tickets.pk})
    assert response.status_code == 200
    assert "column 'intent' is missing" in " ".join(response.context["form"].errors["dataset_version"])
    assert "column &#x27;intent&#x27; is missing" in field_row(response.content.decode(), "dataset_version")
    assert not Job.objects.exists()


def test_a_valid_evaluation_queues_the_job(editor, model_version, stored_version):
    labelled = stored_version(pa.table({"ticket_id": [1, 2], "message": ["where is my parcel", "refund please"],
                                        "intent": ["order_status", "refund_status"]}))
    response = editor.post(EVALUATE, {"model_version": model_version.pk, "dataset_version": labelled.pk})
    job = Job.objects.get()
    assert response["Location"] == page(job)
    assert (job.kind, job.queue, job.created_by) == ("evaluate", "gpu", editor.user)
    assert job.spec == {"model_version_id": model_version.pk, "dataset_version_id": labelled.pk}


# --- Roles ------------------------------------------------------------------------------------


def test_a_viewer_sees_the_jobs_but_cannot_launch_cancel_or_retry(viewer, project):
    queued, cancelled = gated_job(project), gated_job(project)
    services.job_cancel(job=cancelled)
    listing = viewer.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert f">{queued.pk}<" in listing and "Launch fine-tune" not in listing
    assert viewer.get(FINE_TUNE).status_code == 403
    assert viewer.get(BATCH).status_code == 403
    assert viewer.get(EVALUATE).status_code == 403 and viewer.post(EVALUATE, {}).status_code == 403
    assert viewer.post(FINE_TUNE, {}).status_code == 403
    job_page = viewer.get(page(queued)).content.decode()
    assert 'id="job-state"' in job_page and 'id="job-cancel"' not in job_page
    assert 'id="job-retry"' not in viewer.get(page(cancelled)).content.decode()
    assert viewer.post(page(queued, "cancel")).status_code == 403
    assert viewer.post(page(cancelled, "retry")).status_code == 403
    queued.refresh_from_db()
    assert queued.state == JobState.QUEUED and Job.objects.count() == 2


def test_an_editor_sees_the_launch_buttons(editor):
    listing = editor.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert "Launch fine-tune" in listing and all(f'href="{url}"' in listing for url in (FINE_TUNE, BATCH, EVALUATE))


def test_another_projects_job_does_not_exist_for_a_member(editor, other_project):
    job = gated_job(other_project)
    for action in ("change", "live", "predictions"):
        assert editor.get(page(job, action)).status_code == 404
    for action in ("cancel", "retry"):
        assert editor.post(page(job, action)).status_code == 404
    assert f">{job.pk}<" not in editor.get(reverse("admin:jobs_job_changelist")).content.decode()


# --- Cancel and retry -------------------------------------------------------------------------


def test_cancel_then_retry(editor, project):
    job = gated_job(project)
    assert 'id="job-cancel"' in editor.get(page(job)).content.decode()
    response = editor.post(page(job, "cancel"))
    assert response["Location"] == page(job)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    html = editor.get(page(job)).content.decode()
    assert 'id="job-cancel"' not in html and 'id="job-retry"' in html
    response = editor.post(page(job, "retry"))
    retry = Job.objects.get(retry_of=job)
    assert response["Location"] == page(retry)
    assert (retry.state, retry.created_by) == (JobState.QUEUED, editor.user)


def test_a_refused_cancel_shows_the_services_message(editor, project):
    job = gated_job(project)
    services.job_succeed(lease=services.job_claim(job_id=job.pk, worker="w1"), result={})
    response = editor.post(page(job, "cancel"), follow=True)
    assert "A succeeded job cannot be cancelled" in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


# --- The live page ----------------------------------------------------------------------------


def test_the_live_json_reports_progress_metrics_and_events(viewer, project):
    job = gated_job(project)
    lease = services.job_claim(job_id=job.pk, worker="w1")
    services.job_report_progress(lease=lease, fraction=0.25, message="epoch 1 of 4")
    for step, loss in [(1, 0.9), (2, 0.6), (3, 0.4)]:
        services.job_record_metric(lease=lease, name="loss", step=step, value=loss)
    services.job_record_metric(lease=lease, name="eval_accuracy", step=2, value=0.7)
    services.job_log(lease=lease, message="tokenised 120 rows")

    live = viewer.get(page(job, "live")).json()
    assert (live["state"], live["progress"], live["progress_text"], live["terminal"]) == ("running", 0.25, "25%", False)
    assert live["progress_message"] == "epoch 1 of 4"
    assert live["metrics"] == {"eval_accuracy": [[2, 0.7]], "loss": [[1, 0.9], [2, 0.6], [3, 0.4]]}
    assert live["events"][-1]["message"] == "tokenised 120 rows" and live["events"][-1]["attempt"] == 1
    assert live["elapsed"] != "—" and live["eta"] != "—"
    assert live["started"] != "—" and live["attempts"] == "1 of 3 (queue cpu, worker w1)"
    assert viewer.get(page(job, "live"), {"since_step": 2}).json()["metrics"] == {"loss": [[3, 0.4]]}

    html = viewer.get(page(job)).content.decode()
    assert f'<td id="job-started">{live["started"]}</td>' in html
    for element in ('id="job-progress"', 'id="job-progress-text"', 'id="job-elapsed"', 'id="job-eta"', 'id="job-attempts"',
                    'id="metric-charts"', 'id="job-events"', 'id="job-live-data"', "jobs/job_live.js"):
        assert element in html
    assert '<progress id="job-progress" max="1" value="0.25">' in html
    assert "tokenised 120 rows" in html


def test_a_queued_job_has_no_time_estimate(viewer, project):
    live = viewer.get(page(gated_job(project), "live")).json()
    assert (live["elapsed"], live["eta"], live["metrics"]) == ("—", "—", {})


def test_a_succeeded_fine_tune_links_to_its_model_version(viewer, project, model_version):
    job = gated_job(project)
    Job.objects.filter(pk=job.pk).update(kind="fine_tune")
    lease = services.job_claim(job_id=job.pk, worker="w1")
    services.job_succeed(lease=lease, result={"model_version_id": model_version.pk, "model": "intents", "version": 1})
    html = viewer.get(page(job)).content.decode()
    assert reverse("admin:registry_modelversion_change", args=[model_version.pk]) in html
    assert 'id="job-model-version"' in html


def test_an_evaluate_job_links_to_what_it_read_and_claims_to_make_nothing(viewer, project, model_version, stored_version):
    labelled = stored_version(pa.table({"ticket_id": [1, 2], "message": ["where is my parcel", "refund please"],
                                        "intent": ["delivery", "refund"]}))
    job = evaluation_submit(project=project, model_version=model_version, dataset_version=labelled)
    lease = services.job_claim(job_id=job.pk, worker="w1")
    # An evaluate job's result names the dataset version it scored, which it did not make.
    services.job_succeed(lease=lease, result={"dataset_version_id": labelled.pk, "model_version_id": model_version.pk,
                                              "metrics": {"accuracy": 1.0}})
    html = viewer.get(page(job)).content.decode()
    assert 'id="job-input-model-version"' in html and 'id="job-input-dataset-version"' in html
    assert 'id="job-dataset-version"' not in html and 'id="job-model-version"' not in html


# --- Parts ------------------------------------------------------------------------------------


def job_in_three_parts(project) -> Job:
    """A job of a kind that runs in parts, as its coordinator split it and three workers took
    its parts: the first done, the second failed, the third a quarter of the way."""
    job = services.job_create(project=project, kind="test.parted", spec={"rows": 300})
    parts.job_parts_plan(lease=services.job_claim(job_id=job.pk, worker="coordinator"),
                         ranges=[(0, 100), (100, 200), (200, 300)])
    done, bad, busy = (parts.job_part_claim(job_id=job.pk, worker=f"w{number}") for number in (1, 2, 3))
    parts.job_part_succeed(lease=done, result={"sum": 4950})
    parts.job_part_fail(lease=bad, error="row 120: amount is not a number")
    parts.job_part_report_progress(lease=busy, fraction=0.25)
    return job


def part_cells(html: str) -> dict[int, list[str]]:
    """Each part's row of the job page, by part number: its cells' text."""
    section = re.search(r'<div class="module" id="job-parts">.*?</table>', html, re.S)
    assert section, "no parts section"
    rows = re.findall(r'<tr id="job-part-(\d+)"[^>]*>(.*?)</tr>', section.group(0), re.S)
    return {int(number): [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for number, row in rows}


def test_the_job_page_lists_its_parts_with_a_failed_ones_message(viewer, project):
    html = viewer.get(page(job_in_three_parts(project))).content.decode()
    assert "Parts (3)" in html
    cells = part_cells(html)
    moment = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
    # Part, rows, state, worker, attempts, progress, started, finished, error.
    done, failed, running = cells[1], cells[2], cells[3]
    assert done[:6] == ["1", "0 to 99", "succeeded", "w1", "1 of 3", "100 of 100 rows"] and done[8] == ""
    assert failed[:6] == ["2", "100 to 199", "failed", "w2", "1 of 3", "0 of 100 rows"]
    assert failed[8] == "part 2 of 3 (rows 100 to 199): row 120: amount is not a number"
    assert running[:6] == ["3", "200 to 299", "running", "w3", "1 of 3", "25 of 100 rows"] and running[7:] == ["—", ""]
    assert all(re.fullmatch(moment, part[6]) for part in cells.values())
    assert all(re.fullmatch(moment, part[7]) for part in (done, failed))
    assert '<progress max="1" value="0.25">' in html


def test_a_job_that_runs_whole_has_no_parts_section(viewer, project):
    html = viewer.get(page(gated_job(project))).content.decode()
    assert 'id="job-summary"' in html and 'id="job-parts"' not in html


def test_another_projects_job_in_parts_does_not_exist_for_a_member(editor, other_project):
    job = job_in_three_parts(other_project)
    for action in ("change", "live"):
        response = editor.get(page(job, action))
        assert response.status_code == 404 and b"amount is not a number" not in response.content


# --- Predictions ------------------------------------------------------------------------------


def test_a_viewer_downloads_the_predictions_of_a_succeeded_job(viewer, editor, project, model_version, support_tickets):
    editor.post(BATCH, batch_data(model_version, support_tickets))
    job = Job.objects.get()
    assert 'id="download-predictions"' not in viewer.get(page(job)).content.decode()
    assert viewer.get(page(job, "predictions")).status_code == 404  # not finished yet
    stored = artifact_storage().save(f"predictions/credit/job-{job.pk}/predictions.csv",
                                     ContentFile(b"id,label\n1,a\n"))
    services.job_succeed(lease=services.job_claim(job_id=job.pk, worker="w1"), result={"output_path": stored})
    assert 'id="download-predictions"' in viewer.get(page(job)).content.decode()
    response = viewer.get(page(job, "predictions"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"id,label\n1,a\n"
    assert f'filename="predictions-job-{job.pk}.csv"' in response["Content-Disposition"]
