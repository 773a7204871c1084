"""What the admin refuses, seen in headless Chromium: a viewer has no launch or cancel control,
a member of another project sees none of it, and a form with bad values says what is wrong next
to the field and changes nothing. No worker runs here: the jobs stay queued."""
import pytest
from django.contrib.auth import get_user_model

from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.tenancy.models import Role
from indus.tenancy.services import membership_set, project_create
from tests.support.browser import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TASK = "finance.fraud_detection"


@pytest.fixture
def queued_job(project, user):
    return job_create(project=project, kind="test.gated", spec={}, created_by=user)


def test_viewers_and_strangers_cannot_act(user, project, admin_page, queued_job):
    """A viewer reads but has no launch or cancel control; another project's member sees nothing."""
    viewer = get_user_model().objects.create_user(username="victor", password=PASSWORD)
    membership_set(project=project, user=viewer, role=Role.VIEWER)
    stranger = get_user_model().objects.create_user(username="sam", password=PASSWORD)
    project_create(slug="fraud-team", name="Fraud team", owner=stranger)

    tab = admin_page("victor")
    page = tab.open("/admin/jobs/job/")
    assert page.locator("text=Launch fine-tune").count() == 0
    page = tab.open(f"/admin/jobs/job/{queued_job.pk}/change/")
    assert page.locator("#job-state").count() == 1
    assert page.locator("#job-cancel").count() == 0
    tab.screenshot("12-job-as-viewer")

    tab = admin_page("sam")
    page = tab.open("/admin/jobs/job/")
    assert page.locator(f"a[href$='/admin/jobs/job/{queued_job.pk}/change/']").count() == 0
    page = tab.open(f"/admin/jobs/job/{queued_job.pk}/change/")
    assert page.locator("#job-state").count() == 0
    tab.screenshot("13-job-as-stranger")


def test_bad_values_show_next_to_the_field_and_change_nothing(user, project, admin_page, queued_job):
    tab = admin_page(user.username)
    jobs_before = Job.objects.count()
    page = tab.open(f"/admin/jobs/job/launch/fine-tune/?project={project.pk}&task={TASK}")
    page.fill("#id_model_name", "fraud")
    page.fill("#id_epochs", "0")
    page.click("button#launch")
    error = page.locator(".field-epochs .errorlist, #id_epochs ~ .errorlist, .errorlist:near(#id_epochs)").first
    assert "epochs" in error.text_content().lower() or "greater" in error.text_content().lower()
    tab.screenshot("14-launch-with-bad-values")
    assert Job.objects.count() == jobs_before
