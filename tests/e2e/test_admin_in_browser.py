"""The web admin in headless Chromium, as an operator uses it: upload a plugin's sample data,
fine-tune twice, compare the versions, promote one to `production`, run batch inference and
download the predictions.

Every page visited is saved as a screenshot (see tests/support/browser.py); the README shows them.
"""
import csv
import io

import pyarrow.csv as pa_csv
import pytest

from indus.jobs.models import Job
from indus.registry.models import ModelAlias, ModelVersion
from indus_finance.samples import card_transactions

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TASK = "finance.fraud_detection"
ROWS = 2000
# The job page polls once a second; a tabular fine-tune takes well under a minute here.
JOB_TIMEOUT_MS = 240_000


@pytest.fixture
def transactions_csv(tmp_path):
    path = tmp_path / "card-transactions.csv"
    pa_csv.write_csv(card_transactions(rows=ROWS, seed=5), path)
    return path


def wait_until_finished(tab, name: str) -> str:
    """Watch the job page's live progress bar to the end; return the final state."""
    page = tab.page
    page.wait_for_selector("#job-progress")
    tab.screenshot(f"{name}-running")
    # The page polls while the job runs and reloads once at the end: wait for a page the server
    # rendered for a finished job. (A function, not an expression: Playwright evaluates a bare
    # expression with eval, which the server's Content-Security-Policy refuses.)
    page.wait_for_function(
        "() => document.getElementById('job-live-data') && JSON.parse(document.getElementById('job-live-data').textContent).terminal",
        timeout=JOB_TIMEOUT_MS,
    )
    page.wait_for_load_state()
    tab.screenshot(name)
    return page.text_content("#job-state").strip()


def launch_fine_tune(tab, project, dataset_version: ModelVersion, *, epochs: int) -> None:
    page = tab.open(f"/admin/jobs/job/launch/fine-tune/?project={project.pk}&task={TASK}")
    page.select_option("#id_dataset_version", str(dataset_version.pk))
    page.fill("#id_model_name", "fraud")
    page.fill("#id_epochs", str(epochs))
    # A small tabular network learns fast; fraud is rare, so the loss weighs it up.
    page.fill("#id_learning_rate", "0.003")
    page.check("#id_class_weighting")
    page.click("button#launch")


def test_an_operator_trains_compares_promotes_and_predicts(worker, user, project, admin_page, transactions_csv):
    tab = admin_page(user.username)
    page = tab.page
    tab.screenshot("01-home")

    # Upload the plugin's sample data, checked against the task it is for.
    page = tab.open("/admin/datasets/dataset/add/")
    page.select_option("#id_project", str(project.pk))
    page.fill("#id_name", "transactions")
    page.select_option("#id_task", TASK)
    page.set_input_files("#id_file", str(transactions_csv))
    tab.screenshot("02-dataset-upload")
    page.click("input[name=_save]")
    dataset_page = page.url
    # The import runs in the worker; the dataset page lists the version once it is stored.
    for _ in range(60):
        if page.locator("table#dataset-versions a.version-link").count():
            break
        page.wait_for_timeout(1000)
        page.goto(dataset_page)
    tab.screenshot("03-dataset")
    page.click("table#dataset-versions a.version-link")
    page.wait_for_selector("table#dataset-preview")
    assert page.locator("table#dataset-preview tbody tr").count() > 0
    assert page.locator("svg#label-chart rect").count() == 2  # fraud and legit
    tab.screenshot("04-dataset-version")
    version = project.datasets.get().versions.get()
    assert version.row_count == ROWS

    # Two fine-tunes, the second longer; each watched to the end on its live job page.
    models = []
    for number, epochs in enumerate((2, 6), start=1):
        launch_fine_tune(tab, project, version, epochs=epochs)
        if number == 1:
            tab.screenshot("05-launch-fine-tune")
        assert wait_until_finished(tab, f"06-fine-tune-{number}") == "succeeded"
        assert page.get_attribute("#job-progress", "value") in ("1", "1.0")
        assert page.locator("svg.metric-chart").count() >= 1
        models.append(ModelVersion.objects.get(job=Job.objects.filter(kind="fine_tune").latest("pk")))
    first, second = models

    # Compare them side by side from the model's page.
    page = tab.open(f"/admin/registry/registeredmodel/{first.model.pk}/change/")
    tab.screenshot("07-model")
    page.check(f"input.compare-version[value='{first.pk}']")
    page.check(f"input.compare-version[value='{second.pk}']")
    page.click("button#compare")
    page.wait_for_selector("table#compare-metrics")
    header = page.text_content("table#compare-metrics thead")
    assert f"v{first.number}" in header and f"v{second.number}" in header
    tab.screenshot("08-compare-versions")

    # Promote the second version.
    page = tab.open(f"/admin/registry/modelversion/{second.pk}/change/")
    page.fill("#id_alias", "production")
    page.click("button#set-alias")
    page.wait_for_selector("#version-aliases .alias-tag")
    assert ModelAlias.objects.get(model=second.model, name="production").version == second
    assert page.locator("table#confusion-matrix").count() == 1
    tab.screenshot("09-model-version")

    # Batch inference from the promoted version, and its predictions downloaded.
    page.click("a#launch-batch-inference")
    page.wait_for_selector("form#launch-form")
    page.select_option("#id_dataset_version", str(version.pk))
    page.select_option("#id_output_format", "csv")
    tab.screenshot("10-launch-batch-inference")
    page.click("button#launch")
    assert wait_until_finished(tab, "11-batch-inference") == "succeeded"
    with page.expect_download() as download:
        page.click("a#download-predictions")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(rows) == ROWS
    assert {"transaction_id", "label", "p_fraud", "p_legit"} <= set(rows[0])
    assert {row["label"] for row in rows} <= {"fraud", "legit"}
    assert len({row["transaction_id"] for row in rows}) == ROWS
