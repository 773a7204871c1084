""""Use this data" in headless Chromium, as a new user with no plugin goes: upload a vineyard's
table (scikit-learn's wine, under its own names), open the version, bind it from the target
alone, see each column's inferred role, type and reason, change one, see a wrong choice named,
save, and fine-tune from it in the same step, to a finished model trained with the binding."""
import pytest

from indus.bindings.models import TaskBinding
from indus.jobs.models import Job
from indus.registry.models import ModelVersion
from tests.e2e.test_admin_in_browser import wait_until_finished
from tests.support.public_tables import vineyard

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def column_select(page, column: str, what: str):
    """The role or type select of a column's row."""
    return page.locator(f"tr.binding-column[data-column='{column}'] select[name^='{what}_']")


def test_a_table_of_its_own_is_bound_and_fine_tuned_from_its_version_page(worker, user, project, admin_page, tmp_path):
    path = tmp_path / "vineyard.csv"
    vineyard().to_csv(path, index=False)
    tab = admin_page(user.username)

    page = tab.open("/admin/datasets/dataset/add/")
    page.select_option("#id_project", str(project.pk))
    page.fill("#id_name", "vineyard")
    page.set_input_files("#id_file", str(path))
    page.click("input[name=_save]")
    dataset_page = page.url
    for _ in range(60):  # the import runs in the worker
        if page.locator("table#dataset-versions a.version-link").count():
            break
        page.wait_for_timeout(1000)
        page.goto(dataset_page)
    page.click("table#dataset-versions a.version-link")
    page.click("a#use-this-data")

    # Before a target: every column with its inferred type and why.
    page.wait_for_selector("table#binding-columns")
    assert page.locator("tr.binding-column").count() == 15
    page.select_option("#id_target", "cultivar")
    page.click("button#check-binding")
    page.wait_for_selector("#target-kind")
    assert page.text_content("#target-kind") == "classes"
    assert "indus.tabular_classification" in page.text_content("#template-reason")
    assert column_select(page, "lot", "role").input_value() == "id"
    assert column_select(page, "alcohol", "type").input_value() == "number"
    assert "numbers" in page.text_content("tr.binding-column[data-column='alcohol'] .column-reasons")
    assert page.locator("#binding-valid").count() == 1
    tab.screenshot("20-use-this-data")

    # A wrong choice is named with its column; a right one is kept.
    column_select(page, "alcohol", "type").select_option("text")
    column_select(page, "ash", "role").select_option("left_out")
    page.click("button#check-binding")
    page.wait_for_selector("#binding-problems")
    assert "'alcohol'" in page.text_content("#binding-problems")
    assert column_select(page, "ash", "role").input_value() == "left_out"
    column_select(page, "alcohol", "type").select_option("number")
    page.click("button#check-binding")
    page.wait_for_selector("#binding-valid")

    page.fill("#id_model_name", "cultivar")
    page.click("button#save-and-fine-tune")
    assert wait_until_finished(tab, "21-fine-tune-from-binding") == "succeeded"

    binding = TaskBinding.objects.get()
    assert "ash" in binding.left_out and binding.target_column == "cultivar" and binding.id_column == "lot"
    version = ModelVersion.objects.get(job=Job.objects.get(kind="fine_tune"))
    assert version.binding == binding and sorted(version.head_spec["labels"]) == ["Barbera", "Barolo", "Grignolino"]
    # The job links its binding, whose page lists the version trained with it.
    page.click("a#job-input-binding")
    page.wait_for_selector("#binding-model-versions a.model-version-link")
    assert "ash" in page.text_content("div.field-left_out")
    page.click("#binding-model-versions a.model-version-link")
    page.wait_for_selector("#version-metrics")
