""""Use this data" in the admin: a dataset version's own columns bound to a task template, from
its stored profile, with each inferred choice shown with its reason and open to change, the
proposal's problems shown as the API's infer call words them, and the binding saved (and a
fine-tune launched from it) through the same services as the API."""
import pytest
from django.test import Client
from django.urls import reverse

from indus.bindings.models import TaskBinding
from indus.bindings.selectors import task_binding_proposal, task_binding_task
from indus.jobs.models import Job
from indus.plugins.manager import get_registry
from indus.tenancy.models import AuditEntry, Role
from indus.training.hyperparameters import defaults
from tests.api.test_task_bindings import GRADES, clinical_table, graded_table
from tests.support.forms import as_posted


@pytest.fixture
def clinical(stored_version):
    return stored_version(clinical_table(120))


def use_url(version) -> str:
    return reverse("admin:bindings_taskbinding_use", args=[version.pk])


def rows_of(response) -> dict[str, dict]:
    """Each column's row of the page: its role and type as the form holds them, and the reasons."""
    form = response.context["form"]
    return {row["name"]: {"role": form[f"role_{row['index']}"].value(), "type": form[f"type_{row['index']}"].value(),
                          "target": row["is_target"], "reasons": row["reasons"]} for row in response.context["rows"]}


def index_of(response, column: str) -> int:
    return next(row["index"] for row in response.context["rows"] if row["name"] == column)


def problems_of(response) -> dict[str, list[str]]:
    return dict(response.context["problems"])


def test_the_version_page_offers_it_and_the_columns_are_shown_before_a_target_is_chosen(admin_client_as, clinical):
    client = admin_client_as(Role.VIEWER)
    version_page = client.get(reverse("admin:datasets_datasetversion_change", args=[clinical.pk]))
    assert use_url(clinical) in version_page.content.decode()

    response = client.get(use_url(clinical))

    assert response.status_code == 200 and response.context["proposal"] is None
    rows = {row["name"]: row for row in response.context["rows"]}
    assert list(rows) == clinical_table(1).column_names
    assert rows["Sample ID"]["inferred_type"] == "identifier" and rows["mean radius"]["inferred_type"] == "number"
    assert all(row["reasons"] for row in rows.values())


def test_the_target_alone_proposes_every_column_with_its_reason(admin_client_as, clinical):
    response = admin_client_as(Role.EDITOR).get(use_url(clinical), {"target": "diagnosis"})

    proposal = response.context["proposal"]
    assert proposal.valid and proposal.template == "indus.tabular_classification"
    assert response.context["form"]["template"].value() == "indus.tabular_classification"
    assert proposal.inference.target.kind == "binary" and "binary" in proposal.inference.target.kind_reason
    rows = rows_of(response)
    assert rows["diagnosis"]["target"] and rows["Sample ID"]["role"] == "id"
    assert rows["mean radius"]["role"] == "input" and rows["mean radius"]["type"] == "number"
    assert all(row["reasons"] for row in rows.values())
    page = response.content.decode()
    assert 'id="binding-valid"' in page and 'id="save-and-fine-tune"' in page
    assert sorted(response.context["form"]["labels"].value().splitlines()) == ["benign", "malignant"]
    assert not TaskBinding.objects.exists()


def test_edits_are_checked_by_the_same_rules_as_the_api_and_name_the_column(admin_client_as, clinical):
    client = admin_client_as(Role.EDITOR)
    first = client.get(use_url(clinical), {"target": "diagnosis"})
    edited = as_posted(first.context["form"]) | {f"type_{index_of(first, 'mean radius')}": "text"}

    response = client.get(use_url(clinical), edited)

    problems = problems_of(response)
    assert "'mean radius'" in " ".join(problems["inputs"]) and "text input" in " ".join(problems["inputs"])
    assert rows_of(response)["mean radius"]["type"] == "text"  # the choice is kept, to be corrected
    # The words are the proposal's, as the API's infer call gives them for the same choices.
    inputs = [f"{name}:{row['type']}" for name, row in rows_of(response).items()
              if row["role"] == "input" and not row["target"]]
    assert dict(task_binding_proposal(dataset_version=clinical, target="diagnosis", inputs=inputs,
                                      template="indus.tabular_classification").problems) == problems
    assert 'class="errorlist" id="binding-problems"' in response.content.decode()
    assert not TaskBinding.objects.exists()


def test_the_choices_are_saved_as_a_binding_with_its_audit_entry(admin_client_as, clinical):
    client = admin_client_as(Role.EDITOR)
    first = client.get(use_url(clinical), {"target": "diagnosis"})
    posted = as_posted(first.context["form"]) | {
        f"role_{index_of(first, 'mean texture')}": "left_out",
        f"role_{index_of(first, 'Sample ID')}": "input", f"type_{index_of(first, 'Sample ID')}": "category",
        "positive_label": "benign", "_save": "1",
    }

    response = client.post(use_url(clinical), posted)

    assert response.status_code == 302, response.context and (problems_of(response), response.context["form"].errors)
    binding = TaskBinding.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:bindings_taskbinding_change",
                                                                   args=[binding.pk])
    inputs = {column["name"]: column["type"] for column in binding.inputs}
    assert "mean texture" not in inputs and "mean texture" in binding.left_out
    assert inputs["Sample ID"] == "category" and inputs["mean radius"] == "number"
    assert (binding.id_column, binding.positive_label, binding.created_by) == ("", "benign", client.user)
    assert AuditEntry.objects.get().action == "task_binding.create"
    shown = client.get(response.url)
    assert shown.status_code == 200 and 'id="fine-tune"' in shown.content.decode()
    assert "mean smoothness" in shown.content.decode()


def test_save_and_fine_tune_queues_a_job_of_the_binding_with_the_default_hyperparameters(admin_client_as, clinical):
    client = admin_client_as(Role.EDITOR)
    first = client.get(use_url(clinical), {"target": "diagnosis"})
    assert first.context["form"]["model_name"].value() == "applications-diagnosis"

    response = client.post(use_url(clinical), as_posted(first.context["form"]) | {"_fine_tune": "1"})

    binding, job = TaskBinding.objects.get(), Job.objects.get(kind="fine_tune")
    assert response.status_code == 302 and response.url == reverse("admin:jobs_job_change", args=[job.pk])
    assert (job.spec["binding_id"], job.spec["dataset_version_id"], job.spec["model_name"]) == (
        binding.pk, clinical.pk, "applications-diagnosis")
    assert (job.spec["task"], job.created_by) == ("indus.tabular_classification", client.user)
    task = task_binding_task(binding)
    assert job.spec["hyperparameters"] == defaults(backbone=get_registry().backbones[task.backbone], task=task)
    assert [entry.action for entry in AuditEntry.objects.order_by("pk")] == ["task_binding.create", "job.submit"]


def test_a_refused_fine_tune_stores_neither_binding_nor_job(admin_client_as, clinical):
    client = admin_client_as(Role.EDITOR)
    first = client.get(use_url(clinical), {"target": "diagnosis"})

    response = client.post(use_url(clinical), as_posted(first.context["form"]) | {
        "model_name": "no spaces allowed", "_fine_tune": "1"})

    assert response.status_code == 200
    assert "model name" in " ".join(dict(response.context["launch_problems"])["model_name"])
    assert not TaskBinding.objects.exists() and not Job.objects.filter(kind="fine_tune").exists()
    assert not AuditEntry.objects.exists()


def test_an_invalid_binding_is_not_saved_and_its_problems_are_shown(admin_client_as, clinical):
    client = admin_client_as(Role.EDITOR)
    first = client.get(use_url(clinical), {"target": "diagnosis"})
    posted = as_posted(first.context["form"]) | {f"role_{index_of(first, 'mean radius')}": "id", "_save": "1"}

    response = client.post(use_url(clinical), posted)

    assert response.status_code == 200
    assert "one column at most is the id column" in " ".join(response.context["form"].non_field_errors())
    regression = client.get(use_url(clinical), {"target": "diagnosis", "template": "indus.tabular_regression"})
    response = client.post(use_url(clinical), as_posted(regression.context["form"]) | {"_save": "1"})
    assert response.status_code == 200 and "holds labels" in " ".join(problems_of(response)["template"])
    assert not TaskBinding.objects.exists() and not AuditEntry.objects.exists()


def test_another_target_starts_from_its_own_inference(admin_client_as, stored_version):
    version = stored_version(graded_table())
    client = admin_client_as(Role.EDITOR)
    first = client.get(use_url(version), {"target": "diagnosis"})
    assert rows_of(first)["grade"]["role"] == "input"

    response = client.get(use_url(version), as_posted(first.context["form"]) | {"target": "grade"})

    rows = rows_of(response)
    assert rows["grade"]["target"] and rows["diagnosis"]["role"] == "input" and rows["diagnosis"]["type"] == "category"
    assert response.context["proposal"].target_column == "grade"
    # Saved straight after choosing another target, nothing is stored before its columns are seen.
    unseen = client.post(use_url(version), as_posted(first.context["form"]) | {"target": "grade", "_save": "1"})
    assert unseen.status_code == 200 and unseen.context["proposal"].target_column == "grade"
    assert not TaskBinding.objects.exists()


def test_an_ordinal_target_needs_its_levels_put_in_order(admin_client_as, stored_version):
    version = stored_version(graded_table())
    client = admin_client_as(Role.EDITOR)
    first = client.get(use_url(version), {"target": "grade", "template": "indus.tabular_ordinal"})
    assert "lowest first" in " ".join(problems_of(first)["labels"])

    # Sent back as the profile lists them, the levels are no order chosen: still refused.
    unchanged = client.post(use_url(version), as_posted(first.context["form"]) | {"_save": "1"})
    assert unchanged.status_code == 200 and "lowest first" in " ".join(problems_of(unchanged)["labels"])
    reordered = client.get(use_url(version), as_posted(first.context["form"]) | {"labels": "\n".join(GRADES[::-1])})
    assert reordered.context["proposal"].labels == GRADES[::-1] and not problems_of(reordered)
    # An order shown that is already right is confirmed as such.
    response = client.post(use_url(version), as_posted(first.context["form"]) | {
        "labels": "\n".join(GRADES), "labels_in_order": "on", "_save": "1"})

    assert response.status_code == 302, problems_of(response)
    assert TaskBinding.objects.get().labels == GRADES


def test_a_viewer_may_look_but_not_save_and_another_projects_version_is_not_found(admin_client_as, clinical,
                                                                                   other_project):
    viewer = admin_client_as(Role.VIEWER)
    first = viewer.get(use_url(clinical), {"target": "diagnosis"})
    assert first.status_code == 200 and 'id="save-binding"' not in first.content.decode()
    assert viewer.post(use_url(clinical), as_posted(first.context["form"]) | {"_save": "1"}).status_code == 403
    assert viewer.get(reverse("admin:bindings_taskbinding_changelist")).status_code == 200
    stranger = Client()  # the owner of another project only
    stranger.force_login(other_project.memberships.get().user)
    assert stranger.get(use_url(clinical), {"target": "diagnosis"}).status_code == 404
    assert not TaskBinding.objects.exists()


def test_a_binding_is_read_only_and_fine_tunes_from_its_page(admin_client_as, clinical):
    client = admin_client_as(Role.EDITOR)
    first = client.get(use_url(clinical), {"target": "diagnosis"})
    client.post(use_url(clinical), as_posted(first.context["form"]) | {"_save": "1"})
    binding = TaskBinding.objects.get()
    change = reverse("admin:bindings_taskbinding_change", args=[binding.pk])

    assert client.post(change, {"target_column": "mean radius"}).status_code == 403
    launch = reverse("admin:bindings_taskbinding_fine_tune", args=[binding.pk])
    refused = client.post(launch, {"model_name": "bad name"})
    assert refused.status_code == 302 and refused.url == change and not Job.objects.filter(kind="fine_tune").exists()
    response = client.post(launch, {"model_name": "diagnosis"})

    job = Job.objects.get(kind="fine_tune")
    assert response.url == reverse("admin:jobs_job_change", args=[job.pk]) and job.spec["binding_id"] == binding.pk
    assert TaskBinding.objects.get(pk=binding.pk).target_column == "diagnosis"
