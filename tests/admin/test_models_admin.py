"""The registry in the admin: a version's reports, versions compared, aliases moved by owners,
artifacts downloaded, and nothing of another project's models visible."""
import io
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from indus.core.storage import artifact_storage
from indus.registry.models import ModelAlias
from indus.registry.services import model_alias_set, model_version_create, registered_model_get_or_create
from indus.tenancy.models import AuditEntry, Role

TASK = "finance.news_sentiment"
LABELS = ["negative", "neutral", "positive"]
MATRIX_V1 = [[50, 7, 3], [6, 40, 4], [2, 5, 83]]
MATRIX_V2 = [[55, 4, 1], [3, 45, 2], [1, 2, 87]]


def reports(matrix, f1_positive: float) -> dict:
    return {
        "per_class": {
            label: {"precision": 0.8 + index / 100, "recall": 0.7 + index / 100,
                    "f1": f1_positive if label == "positive" else 0.75, "support": sum(row)}
            for index, (label, row) in enumerate(zip(LABELS, matrix))
        },
        "averages": {"macro": {"precision": 0.81, "recall": 0.71, "f1": 0.77, "support": 200}},
        "confusion_matrix": {"labels": LABELS, "matrix": matrix},
        "baseline": {"strategy": "majority_class", "label": "positive", "accuracy": 0.45},
    }


def register(project, *, name="news", folder="v", metrics, matrix, f1_positive, hyperparameters, parent=None):
    path = f"models/{project.slug}/{name}/{folder}"
    storage = artifact_storage()
    storage.save(f"{path}/config.json", ContentFile(b'{"labels": ["negative", "neutral", "positive"]}'))
    storage.save(f"{path}/tokenizer/vocab.txt", ContentFile(b"[PAD]\n[UNK]\nshares\n"))
    model = registered_model_get_or_create(project=project, name=name, task=TASK)
    return model_version_create(
        model=model, artifact_path=path, metrics=metrics, reports=reports(matrix, f1_positive),
        hyperparameters=hyperparameters, parent=parent,
        model_card="# News model\n\nScores <b>headlines</b>.\n\n## Limits\n- small classes\n\n<script>alert(1)</script>",
    )


@pytest.fixture
def versions(project):
    v1 = register(project, folder="v1", metrics={"test_accuracy": 0.865, "test_macro_f1": 0.84, "test_loss": 0.41},
                  matrix=MATRIX_V1, f1_positive=0.90, hyperparameters={"learning_rate": 3e-5, "epochs": 3, "seed": 7})
    v2 = register(project, folder="v2", metrics={"test_accuracy": 0.935, "test_macro_f1": 0.92, "test_loss": 0.30},
                  matrix=MATRIX_V2, f1_positive=0.95, hyperparameters={"learning_rate": 2e-5, "epochs": 5, "seed": 7},
                  parent=v1)
    return v1, v2


def version_url(version, action="change") -> str:
    return reverse(f"admin:registry_modelversion_{action}", args=[version.pk])


def compare_url(*versions) -> str:
    return reverse("admin:registry_modelversion_compare") + "?versions=" + ",".join(str(v.pk) for v in versions)


def element(html: str, tag: str, element_id: str) -> str:
    match = re.search(rf'<{tag}[^>]*id="{element_id}".*?</{tag}>', html, re.S)
    assert match, f"no {tag}#{element_id} in the page"
    return match.group(0)


def test_a_version_page_shows_metrics_per_class_rows_and_its_confusion_matrix(admin_client_as, versions):
    v1, _ = versions
    page = admin_client_as(Role.VIEWER).get(version_url(v1))
    assert page.status_code == 200
    html = page.content.decode()

    metrics = element(html, "table", "version-metrics")
    assert re.search(r"accuracy</th>\s*<td[^>]*>0\.8650</td>\s*<td[^>]*>0\.4500</td>", metrics)  # with its baseline
    # The task's metrics (accuracy, macro_f1) come before the others.
    assert metrics.index(">accuracy<") < metrics.index(">macro_f1<") < metrics.index(">loss<")

    per_class = element(html, "table", "per-class-report")
    for label in LABELS:
        assert f'data-label="{label}"' in per_class
    assert re.search(r'data-label="positive"><th[^>]*>positive</th><td[^>]*>0\.8200</td><td[^>]*>0\.7200</td>'
                     r'<td[^>]*>0\.9000</td><td[^>]*>90</td>', per_class)

    matrix = element(html, "table", "confusion-matrix")
    counts = [int(count) for count in re.findall(r'<td class="cell[^"]*"[^>]*>(\d+)</td>', matrix)]
    assert counts == [count for row in MATRIX_V1 for count in row]
    assert "true \\ predicted" in matrix
    for label in LABELS:
        assert f'<th scope="col">{label}</th>' in matrix and f'<th scope="row">{label}</th>' in matrix
    # Coloured by share of the row: 83 of 90 is the darkest cell of its row.
    assert "rgba(65, 118, 144, 0.922)" in matrix

    card = element(html, "div", "model-card")
    assert "<h2>News model</h2>" in card and "<li>small classes</li>" in card
    assert "<script>" not in card and "&lt;script&gt;" in card and "&lt;b&gt;headlines&lt;/b&gt;" in card
    assert 'id="download-artifacts"' in html and version_url(v1, "download") in html


def test_the_model_page_shows_versions_side_by_side_with_the_best_values(admin_client_as, versions):
    v1, v2 = versions
    model_alias_set(version=v2, name="production")
    page = admin_client_as(Role.VIEWER).get(reverse("admin:registry_registeredmodel_change", args=[v1.model.pk]))
    html = page.content.decode()
    table = element(html, "table", "model-versions")
    assert f'value="{v1.pk}"' in table and f'value="{v2.pk}"' in table and 'class="compare-version"' in table
    assert re.search(r'data-metric="test_accuracy">.*?<td class="number">0\.8650</td><td class="number best">0\.9350</td>',
                     table, re.S)
    assert re.search(r'data-metric="test_loss">.*?<td class="number">0\.4100</td><td class="number best">0\.3000</td>',
                     table, re.S)  # lower is better for a loss
    assert '<span class="alias-tag">production</span>' in table
    assert 'id="compare"' in html and "Compare selected" in html


def test_the_best_value_follows_each_metrics_declared_direction(admin_client_as, project):
    hyperparameters = {"learning_rate": 2e-5, "epochs": 3, "seed": 7}
    older = register(project, name="bands", folder="b1", matrix=MATRIX_V1, f1_positive=0.9, hyperparameters=hyperparameters,
                     metrics={"test_mae_levels": 0.40, "test_coverage": 0.70, "test_ndcg_at_5": 0.61})
    register(project, name="bands", folder="b2", matrix=MATRIX_V2, f1_positive=0.9, hyperparameters=hyperparameters,
             metrics={"test_mae_levels": 0.25, "test_coverage": 0.95, "test_ndcg_at_5": 0.58})
    page = admin_client_as(Role.VIEWER).get(reverse("admin:registry_registeredmodel_change", args=[older.model.pk]))
    table = element(page.content.decode(), "table", "model-versions")
    assert re.search(r'data-metric="test_mae_levels">.*?<td class="number">0\.4000</td><td class="number best">0\.2500</td>',
                     table, re.S)  # declared lower-is-better
    assert re.search(r'data-metric="test_ndcg_at_5">.*?<td class="number best">0\.6100</td><td class="number">0\.5800</td>',
                     table, re.S)  # a cut-off's metric, declared once as ndcg_at_{k}
    coverage_row = re.search(r'data-metric="test_coverage">.*?</tr>', table, re.S).group(0)
    assert "0.9500" in coverage_row and "best" not in coverage_row  # best near nominal, not at an end


def test_comparing_two_versions_shows_both_and_the_difference(admin_client_as, versions):
    v1, v2 = versions
    page = admin_client_as(Role.VIEWER).get(compare_url(v1, v2))
    assert page.status_code == 200
    html = page.content.decode()
    metrics = element(html, "table", "compare-metrics")
    assert ">v1</a>" in metrics and ">v2</a>" in metrics
    assert re.search(r"0\.9350<span[^>]*>\(\+0\.0700\)</span>", metrics)
    hyperparameters = element(html, "table", "compare-hyperparameters")
    assert "learning_rate" in hyperparameters and "epochs" in hyperparameters and "seed" not in hyperparameters
    assert "<td>3e-05</td><td>2e-05</td>" in hyperparameters
    per_class = element(html, "table", "compare-per-class")
    assert re.search(r'data-label="positive">.*?0\.9000.*?0\.9500', per_class, re.S)
    assert html.count('<div class="confusion-matrix"') == 2
    assert "87</td>" in html and "83</td>" in html


def test_the_changelist_action_opens_the_comparison(admin_client_as, versions):
    v1, v2 = versions
    response = admin_client_as(Role.VIEWER).post(
        reverse("admin:registry_modelversion_changelist"),
        {"action": "compare_selected", "_selected_action": [v2.pk, v1.pk]},
    )
    assert response.status_code == 302 and response["Location"] == compare_url(v1, v2)


def test_versions_of_different_models_or_a_single_version_are_not_compared(admin_client_as, project, versions):
    v1, _ = versions
    other = register(project, name="other", folder="o1", metrics={"test_accuracy": 0.5}, matrix=MATRIX_V1,
                     f1_positive=0.5, hyperparameters={})
    viewer = admin_client_as(Role.VIEWER)
    mixed = viewer.get(compare_url(v1, other))
    assert mixed.status_code == 400
    assert "Only versions of the same registered model can be compared; these belong to news, other." in \
        mixed.content.decode()
    single = viewer.get(compare_url(v1))
    assert single.status_code == 400 and "Pick two or more versions" in single.content.decode()


def test_an_owner_sets_production_and_moves_it_to_another_version(admin_client_as, versions):
    v1, v2 = versions
    owner = admin_client_as(Role.OWNER)
    page = owner.get(version_url(v1)).content.decode()
    assert 'id="alias-form"' in page and 'id="id_alias"' in page and 'id="set-alias"' in page

    set_ = owner.post(version_url(v1, "alias_set"), {"alias": "production"}, follow=True)
    assert ModelAlias.objects.get(model=v1.model, name="production").version == v1
    assert "Alias “production” now points at version 1." in set_.content.decode()

    moved = owner.post(version_url(v2, "alias_set"), {"alias": "production"}, follow=True)
    assert [(a.name, a.version) for a in ModelAlias.objects.filter(model=v1.model)] == [("production", v2)]
    assert "Alias “production” moved from version 1 to version 2." in moved.content.decode()
    assert AuditEntry.objects.filter(action="model_alias.set").count() == 2

    owner.post(version_url(v2, "alias_remove"), {"name": "production"})
    assert not ModelAlias.objects.filter(model=v1.model).exists()


@pytest.mark.parametrize("role", [Role.EDITOR, Role.VIEWER])
def test_editors_and_viewers_cannot_move_aliases(admin_client_as, versions, role):
    v1, _ = versions
    model_alias_set(version=v1, name="staging")
    client = admin_client_as(role)
    page = client.get(version_url(v1)).content.decode()
    assert 'id="alias-form"' not in page and 'id="set-alias"' not in page and "remove-alias" not in page
    assert client.post(version_url(v1, "alias_set"), {"alias": "production"}).status_code == 403
    assert client.post(version_url(v1, "alias_remove"), {"name": "staging"}).status_code == 403
    assert [a.name for a in ModelAlias.objects.filter(model=v1.model)] == ["staging"]


def test_a_bad_alias_name_shows_the_message_next_to_the_field_and_changes_nothing(admin_client_as, versions):
    v1, _ = versions
    response = admin_client_as(Role.OWNER).post(version_url(v1, "alias_set"), {"alias": "Prod 1"})
    assert response.status_code == 200
    form = element(response.content.decode(), "form", "alias-form")
    assert re.search(r'id="id_alias".*?<ul class="errorlist[^"]*"[^>]*><li>lower-case letters, digits, - and _</li>',
                     form, re.S)
    assert 'value="Prod 1"' in form
    assert not ModelAlias.objects.exists()


def test_a_viewer_downloads_the_version_files_as_a_zip(admin_client_as, versions):
    v1, _ = versions
    response = admin_client_as(Role.VIEWER).get(version_url(v1, "download"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="news-v1.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["config.json", "tokenizer/vocab.txt"]
    assert archive.read("tokenizer/vocab.txt") == b"[PAD]\n[UNK]\nshares\n"


def test_the_batch_inference_link_is_for_editors_when_the_launch_form_exists(admin_client_as, versions):
    from django.urls import NoReverseMatch

    v1, _ = versions
    try:
        launch = reverse("admin:jobs_job_launch_batch_inference") + f"?model_version={v1.pk}"
    except NoReverseMatch:
        launch = None
    editor_page = admin_client_as(Role.EDITOR).get(version_url(v1)).content.decode()
    viewer_page = admin_client_as(Role.VIEWER).get(version_url(v1)).content.decode()
    assert 'id="launch-batch-inference"' not in viewer_page
    assert ('id="launch-batch-inference"' in editor_page) == (launch is not None)
    if launch:
        assert f'href="{launch}"'.replace("&", "&amp;") in editor_page or f'href="{launch}"' in editor_page


def test_a_member_of_another_project_finds_none_of_it(other_project, versions, client):
    v1, v2 = versions
    theirs = register(other_project, name="fraudnet", folder="f1", metrics={"test_accuracy": 0.7}, matrix=MATRIX_V1,
                      f1_positive=0.7, hyperparameters={})
    client.force_login(other_project.memberships.get().user)
    assert client.get(version_url(theirs)).status_code == 200
    assert client.get(compare_url(theirs, v1)).status_code == 404
    assert client.get(version_url(v1)).status_code == 404
    assert client.get(reverse("admin:registry_registeredmodel_change", args=[v1.model.pk])).status_code == 404
    assert client.get(compare_url(v1, v2)).status_code == 404
    assert client.get(version_url(v1, "download")).status_code == 404
    assert client.post(version_url(v1, "alias_set"), {"alias": "production"}).status_code == 404
    assert not ModelAlias.objects.exists()
    for changelist in ("admin:registry_modelversion_changelist", "admin:registry_registeredmodel_changelist"):
        page = client.get(reverse(changelist)).content.decode()
        assert version_url(v1) not in page and "credit/news" not in page and "Credit risk" not in page
