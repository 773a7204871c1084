"""Task bindings through the API: a template bound to a real table's own columns, inferred from
the stored profile with the target alone, refused with a 400 that names the column and the
problem (storing nothing), and the binding carried into fine-tuning, evaluation and batch
inference, which refuse data whose columns are missing or retyped."""
import pyarrow as pa
import pytest
from sklearn.datasets import load_breast_cancer

from indus.bindings.models import TaskBinding
from indus.jobs.models import Job
from indus.registry.services import model_version_create, registered_model_get_or_create
from indus.tenancy.models import AuditEntry, Role
from indus.tenancy.services import membership_set, project_create

from .conftest import make_user

BINDINGS = "/api/v1/projects/credit/task-bindings/"
JOBS = "/api/v1/projects/credit/jobs/"


def clinical_table(rows: int = 569) -> pa.Table:
    """scikit-learn's breast cancer measurements under their own names ('mean radius'...), a
    'Sample ID' key, and the diagnosis spelled out, as a clinic's export would have them."""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.drop(columns="target").head(rows)
    frame.insert(0, "Sample ID", [f"S{index:04d}" for index in range(len(frame))])
    frame["diagnosis"] = [str(data.target_names[value]) for value in data.target[:rows]]
    return pa.Table.from_pandas(frame, preserve_index=False)


@pytest.fixture
def client(user, api_client):
    return api_client(user)


@pytest.fixture
def clinical(stored_version):
    return stored_version(clinical_table())


def problems_of(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    errors = response.json()["error"]["details"]["errors"]
    found = {}
    for error in errors:
        found.setdefault(error["field"].split(".")[0], []).append(error["message"])
    return found


def test_infer_with_only_the_target_proposes_a_usable_binding_and_stores_nothing(client, clinical):
    response = client.get(f"{BINDINGS}infer/", {"dataset_version": clinical.pk, "target": "diagnosis"})

    assert response.status_code == 200, response.content
    proposal = response.json()
    assert proposal["valid"] and proposal["problems"] == {}
    assert proposal["template"] == "indus.tabular_classification"
    assert proposal["target_inference"]["kind"] == "binary"
    assert sorted(proposal["labels"]) == ["benign", "malignant"]
    assert proposal["positive_label"] == "malignant"  # the rarer of the two
    assert proposal["id_column"] == "Sample ID"
    types = {column["name"]: column["type"] for column in proposal["inputs"]}
    assert len(types) == 30 and set(types.values()) == {"number"} and "mean radius" in types
    roles = {column["name"]: (column["role"], column["role_reason"]) for column in proposal["columns"]}
    assert roles["diagnosis"][0] == "target" and roles["Sample ID"][0] == "id"
    assert all(column["type_reason"] for column in proposal["columns"])
    assert not TaskBinding.objects.exists()


def test_a_binding_made_from_the_target_alone_materialises_a_task_in_the_tables_names(client, clinical, user):
    response = client.post(BINDINGS, {"dataset_version": clinical.pk, "target": "diagnosis"}, format="json")

    assert response.status_code == 201, response.content
    binding = response.json()
    assert (binding["template"], binding["target"], binding["id_column"]) == (
        "indus.tabular_classification", "diagnosis", "Sample ID")
    task = binding["task"]
    assert task["target"]["column"] == "diagnosis" and sorted(task["target"]["labels"]) == ["benign", "malignant"]
    assert task["presentation"]["positive_label"] == "malignant"
    assert [column["name"] for column in task["inputs"]][:2] == ["mean radius", "mean texture"]
    entry = AuditEntry.objects.get(action="task_binding.create")
    assert (entry.object_id, entry.actor_username) == (str(binding["id"]), user.username)

    shown = client.get(f"{BINDINGS}{binding['id']}/").json()
    assert shown["inputs"] == binding["inputs"] and shown["model_versions"] == []
    assert [b["id"] for b in client.get(BINDINGS).json()["results"]] == [binding["id"]]


def test_inputs_named_with_or_without_a_type_are_the_only_inputs(client, clinical):
    body = {"dataset_version": clinical.pk, "target": "diagnosis", "positive_label": "benign",
            "inputs": ["mean radius:number", {"name": "mean texture", "type": "number"}, "worst area"]}

    response = client.post(BINDINGS, body, format="json")

    assert response.status_code == 201, response.content
    binding = response.json()
    assert binding["inputs"] == [{"name": name, "type": "number"} for name in ("mean radius", "mean texture", "worst area")]
    assert binding["positive_label"] == "benign" and "mean smoothness" in binding["left_out"]
    assert binding["id_column"] == "Sample ID" and "Sample ID" not in binding["left_out"]


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"target": "diagnosys"}, "target", ["'diagnosys'", "did you mean 'diagnosis'"]),
    ({"target": "site"}, "target", ["'site'", "constant"]),
    ({"target": "reviewed"}, "target", ["'reviewed'", "one class"]),
    ({"target": "diagnosis", "inputs": ["mean radius", "diagnosis"]}, "inputs", ["'diagnosis'", "both the target and an input"]),
    ({"target": "diagnosis", "inputs": [{"name": "mean radius", "type": "colour"}]}, "inputs", ["'mean radius'", "unknown type 'colour'"]),
    ({"target": "diagnosis", "inputs": ["mean radius:text"]}, "inputs", ["'mean radius'", "text input"]),
    ({"target": "diagnosis", "template": "indus.tabular_regression"}, "template", ["'diagnosis'", "holds labels"]),
    ({"target": "diagnosis", "labels": ["benign", "cancer"]}, "labels", ["'diagnosis'", "malignant"]),
    ({"target": "diagnosis", "positive_label": "sick"}, "positive_label", ["'sick'"]),
])
def test_a_bad_binding_is_a_400_naming_the_column_and_nothing_is_stored(client, stored_version, body, field, words):
    table = clinical_table(60)
    table = table.append_column("site", pa.array(["north"] * 60))
    table = table.append_column("reviewed", pa.array(["yes"] * 40 + [None] * 20))
    version = stored_version(table)

    response = client.post(BINDINGS, {"dataset_version": version.pk, **body}, format="json")

    messages = " ".join(problems_of(response).get(field, []))
    assert all(word in messages for word in words), response.json()
    assert not TaskBinding.objects.exists() and not AuditEntry.objects.filter(action="task_binding.create").exists()
    # The infer call shows the same problems without refusing: the user sees what to change.
    query = {**body, "inputs": [entry if isinstance(entry, str) else f"{entry['name']}:{entry['type']}"
                                for entry in body.get("inputs", [])]}
    proposal = client.get(f"{BINDINGS}infer/", {"dataset_version": version.pk, **query}).json()
    assert not proposal["valid"] and all(word in " ".join(proposal["problems"][field]) for word in words)


def test_a_viewer_may_infer_but_not_bind(clinical, api_client):
    viewer = make_user("vera")
    membership_set(project=clinical.dataset.project, user=viewer, role=Role.VIEWER)
    client = api_client(viewer)
    body = {"dataset_version": clinical.pk, "target": "diagnosis"}

    assert client.get(f"{BINDINGS}infer/", body).json()["valid"]
    assert client.post(BINDINGS, body, format="json").status_code == 403
    assert not TaskBinding.objects.exists()


def test_a_dataset_version_of_another_project_is_not_found(client, clinical, user):
    project_create(slug="other", name="Other", owner=user)
    response = client.post("/api/v1/projects/other/task-bindings/",
                           {"dataset_version": clinical.pk, "target": "diagnosis"}, format="json")
    assert response.status_code == 404 and "dataset version" in response.json()["error"]["message"]
    assert not TaskBinding.objects.exists()


def test_fine_tune_takes_a_binding_in_place_of_a_task(client, clinical):
    binding = client.post(BINDINGS, {"dataset_version": clinical.pk, "target": "diagnosis"}, format="json").json()

    response = client.post(JOBS, {"kind": "fine_tune", "dataset_version": clinical.pk, "binding": binding["id"],
                                  "model_name": "diagnosis"}, format="json")

    assert response.status_code == 201, response.content
    spec = Job.objects.get(pk=response.json()["id"]).spec
    assert (spec["task"], spec["binding_id"]) == ("indus.tabular_classification", binding["id"])
    both = client.post(JOBS, {"kind": "fine_tune", "dataset_version": clinical.pk, "binding": binding["id"],
                              "task": "finance.fraud_detection", "model_name": "other"}, format="json")
    assert "not both" in " ".join(problems_of(both)["task"])


def test_evaluation_and_inference_refuse_a_missing_or_retyped_column(client, clinical, stored_version, project):
    binding = TaskBinding.objects.get(pk=client.post(
        BINDINGS, {"dataset_version": clinical.pk, "target": "diagnosis"}, format="json").json()["id"])
    model = registered_model_get_or_create(project=project, name="diagnosis", task=binding.template)
    version = model_version_create(model=model, artifact_path="models/x", binding=binding, dataset_version=clinical)
    table = clinical_table(40)
    missing = stored_version(table.drop_columns(["mean texture"]))
    retyped = stored_version(table.set_column(
        table.schema.get_field_index("mean radius"), "mean radius",
        pa.array([f"{value:.1f} mm" for value in table.column("mean radius").to_pylist()])))

    for kind in ("evaluate", "batch_inference"):
        for data, words in ((missing, ["'mean texture'", "missing"]), (retyped, ["'mean radius'", "string", "number"])):
            response = client.post(JOBS, {"kind": kind, "model_version": version.pk, "dataset_version": data.pk},
                                   format="json")
            messages = " ".join(problems_of(response)["dataset_version"])
            assert all(word in messages for word in words), (kind, messages)
    assert not Job.objects.filter(kind__in=["evaluate", "batch_inference"]).exists()
    accepted = client.post(JOBS, {"kind": "batch_inference", "model_version": version.pk,
                                  "dataset_version": stored_version(table.drop_columns(["diagnosis"])).pk},
                           format="json")
    assert accepted.status_code == 201, accepted.content
    assert client.get(f"/api/v1/projects/credit/models/{model.pk}/versions/1/").json()["binding"] == binding.pk


def test_a_warm_start_needs_a_parent_trained_on_the_same_columns(client, clinical, project):
    def bind(inputs):
        return TaskBinding.objects.get(pk=client.post(BINDINGS, {
            "dataset_version": clinical.pk, "target": "diagnosis", "inputs": inputs}, format="json").json()["id"])

    trained_with, other = bind(["mean radius", "mean texture"]), bind(["mean radius"])
    model = registered_model_get_or_create(project=project, name="diagnosis", task=trained_with.template)
    parent = model_version_create(model=model, artifact_path="models/x", binding=trained_with, dataset_version=clinical)

    def warm_start(binding):
        return client.post(JOBS, {"kind": "fine_tune", "dataset_version": clinical.pk, "binding": binding.pk,
                                  "model_name": "diagnosis", "parent_version": parent.pk}, format="json")

    assert "same columns" in " ".join(problems_of(warm_start(other))["parent_version"])
    assert warm_start(trained_with).status_code == 201


def test_the_generic_templates_are_listed(client):
    templates = {t["name"]: t for t in client.get("/api/v1/templates/").json()["results"]}
    assert {"indus.tabular_classification", "indus.tabular_regression", "indus.text_classification",
            "indus.text_tabular_classification"} <= set(templates)
    assert templates["indus.tabular_regression"]["target_kind"] == "regression"
    assert "text" in templates["indus.text_classification"]["input_types"]


GRADES = ["low", "medium", "high"]


def graded_table() -> pa.Table:
    """90 clinical rows with a 'grade' of text levels, as common as each other."""
    return clinical_table(90).append_column("grade", pa.array([GRADES[index % 3] for index in range(90)]))


def test_an_ordinal_template_keeps_the_labels_in_the_order_given(client, stored_version):
    grades = GRADES
    version = stored_version(graded_table())
    body = {"dataset_version": version.pk, "target": "grade", "template": "indus.tabular_ordinal"}

    proposal = client.get(f"{BINDINGS}infer/", body).json()
    assert proposal["target_inference"]["kind"] == "classes" and sorted(proposal["labels"]) == sorted(grades)
    response = client.post(BINDINGS, {**body, "labels": grades}, format="json")

    assert response.status_code == 201, response.content
    target = response.json()["task"]["target"]
    assert (target["kind"], target["labels"]) == ("ordinal", grades)
    assert "diagnosis" in [i["name"] for i in response.json()["inputs"]]  # a category input now


def test_an_ordinal_template_refuses_text_levels_given_no_order(client, stored_version):
    table = graded_table()
    version = stored_version(table)
    body = {"dataset_version": version.pk, "target": "grade", "template": "indus.tabular_ordinal"}

    proposal = client.get(f"{BINDINGS}infer/", body).json()
    assert not proposal["valid"] and "lowest first" in " ".join(proposal["problems"]["labels"])
    response = client.post(BINDINGS, body, format="json")

    messages = " ".join(problems_of(response)["labels"])
    assert "'grade'" in messages and "lowest first" in messages
    assert not TaskBinding.objects.exists()
    # Numeric levels have an order of their own: no labels needed.
    numeric = stored_version(table.append_column("stage", pa.array([str(index % 3 + 1) for index in range(90)])))
    response = client.post(BINDINGS, {**body, "dataset_version": numeric.pk, "target": "stage"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["task"]["target"]["labels"] == ["1", "2", "3"]
