"""A version no better than the majority class is flagged on the admin's pages, and setting
`production` on it needs the Force checkbox, which the audit log records."""
import pytest
from django.urls import reverse

from indus.registry.models import ModelAlias
from indus.tenancy.models import AuditEntry, Role
from tests.admin.test_models_admin import element, version_url
from tests.support.flagged_model import register_flagged_version


@pytest.fixture
def flagged(project):
    return register_flagged_version(project)


def test_the_list_the_model_page_and_the_version_page_flag_it(admin_client_as, flagged):
    viewer = admin_client_as(Role.VIEWER)
    listed = viewer.get(reverse("admin:registry_modelversion_changelist")).content.decode()
    assert 'data-verdict="not_better_than_trivial"' in listed and "flagged: does not beat the trivial" in listed
    model_page = viewer.get(reverse("admin:registry_registeredmodel_change", args=[flagged.model.pk])).content.decode()
    assert "flagged: does not beat the trivial baseline" in model_page

    page = viewer.get(version_url(flagged)).content.decode()
    verdict = element(page, "p", "verdict")
    assert "Flagged:" in verdict and "does not beat the trivial baseline on accuracy" in verdict
    chart = element(page, "svg", "baseline-chart")
    assert chart.count('<g class="bar"') == 4  # the version, the trivial and two classical baselines
    table = element(page, "table", "baseline-metrics")
    assert 'data-baseline="hist_gradient_boosting"' in table and 'data-baseline="logistic_regression"' in table
    assert 'data-metric="accuracy"' in table


def test_production_needs_force_in_the_admin_and_the_audit_records_it(admin_client_as, flagged):
    owner = admin_client_as(Role.OWNER)
    refused = owner.post(version_url(flagged, "alias_set"), {"alias": "production"})
    assert refused.status_code == 200
    form = element(refused.content.decode(), "form", "alias-form")
    assert "does not beat the trivial baseline on accuracy" in form
    assert not ModelAlias.objects.exists() and not AuditEntry.objects.filter(action="model_alias.set").exists()

    forced = owner.post(version_url(flagged, "alias_set"), {"alias": "production", "force": "on"}, follow=True)
    assert "now points at version 1" in forced.content.decode()
    assert ModelAlias.objects.get(name="production").version == flagged
    entry = AuditEntry.objects.get(action="model_alias.set")
    assert entry.summary["forced"] is True and entry.actor == owner.user
