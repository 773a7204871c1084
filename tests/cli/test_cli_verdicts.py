"""The CLI shows a flagged version, refuses `production` on it unless --force, and shows a
task's hyperparameter defaults for the chosen backbone."""
import pytest

from indus.registry.models import ModelAlias
from tests.support.flagged_model import register_flagged_version

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_flagged_version_is_shown_and_needs_force(indus, project):
    register_flagged_version(project)
    code, out, _ = indus("models", "versions", "credit", "scores")
    assert code == 0
    assert "FLAGGED: does not beat the trivial baseline (accuracy)" in out.splitlines()[1]

    code, _, err = indus("models", "alias", "credit", "scores", "production", 1)
    assert code == 3 and "version" in err and "does not beat the trivial baseline" in err
    assert not ModelAlias.objects.exists()
    code, out, _ = indus("models", "alias", "credit", "scores", "production", 1, "--force")
    assert (code, out.strip()) == (0, "alias production of scores now points at version 1")
    assert ModelAlias.objects.get(name="production").version.number == 1


def test_task_defaults_follow_the_backbone(indus):
    code, out, _ = indus("tasks", "defaults", "finance.fraud_detection")
    assert code == 0 and out.splitlines()[0] == "defaults of finance.fraud_detection on backbone tabular_mlp:"
    assert "  learning_rate: 0.0003" in out.splitlines() and "  epochs: 200.0" in out.splitlines()
    code, out, _ = indus("tasks", "defaults", "finance.news_sentiment")
    assert code == 0 and "  learning_rate: 0.0001" in out.splitlines() and "  epochs: 5.0" in out.splitlines()
    code, _, err = indus("tasks", "defaults", "finance.news_sentiment", "--backbone", "tabular_mlp")
    assert code == 2 and "tabular_mlp" in err
