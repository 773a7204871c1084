"""What an evaluate job split into parts decides and stores, with no worker: which models' rows
are split, and a part's result as it is stored. A model that scored NaN leaves NaN in the part's
partial, which a PostgreSQL json column refuses: the part runner stores it marked
(`non_finite_marked`) and the job's worker restores it, so the merged metrics are those of one pass."""
import numpy as np
import pytest

from indus.core.json import non_finite_marked, non_finite_restored
from indus.inference.runner import splits_by_rows
from indus.jobs import services
from indus.jobs.models import JobPart
from indus.plugins.manager import get_registry
from indus.registry.services import model_version_create, registered_model_get_or_create
from indus_workers.evaluation import evaluation_from_partials, evaluation_partial
from tests.support.tabular_model import card_transactions

pytestmark = pytest.mark.django_db


def test_rows_are_split_for_a_row_by_row_model_and_never_for_a_forecast(project, stored_version):
    data = stored_version(card_transactions(20, seed=1))  # the task decides, not the data: no model is loaded

    def version_of(task: str):
        model = registered_model_get_or_create(project=project, name=task.replace(".", "-"), task=task)
        return model_version_create(model=model, artifact_path=f"models/{project.slug}/unused", metrics={})

    assert splits_by_rows(version_of("finance.fraud_detection"), data)
    assert not splits_by_rows(version_of("retail.demand_forecasting"), data)


def test_a_partial_holding_nan_scores_is_stored_and_merges_as_in_one_pass(project, tmp_path):
    task = get_registry().tasks["finance.fraud_detection"]
    truth = np.array([0, 1, 0, 1, 1, 0])
    fraud = np.array([0.1, np.nan, 0.8, 0.7, 0.4, 0.2])  # a diverged model's NaN on row 1
    probabilities = np.stack([1 - fraud, fraud], axis=1)
    first = evaluation_partial(task, truth[:3], {"probabilities": probabilities[:3]})
    second = evaluation_partial(task, truth[3:], {"probabilities": probabilities[3:]})
    job = services.job_create(project=project, kind="test.parted",
                              spec={"rows": 6, "parts_log": str(tmp_path / "parts.log")})
    part = JobPart.objects.create(job=job, index=0, first_row=0, end_row=3, result=non_finite_marked({"partial": first}))

    stored = non_finite_restored(JobPart.objects.get(pk=part.pk).result)["partial"]
    in_parts = evaluation_from_partials(task, [stored, second])
    in_one_pass = evaluation_from_partials(task, [evaluation_partial(task, truth, {"probabilities": probabilities})])
    assert in_parts.metrics == in_one_pass.metrics and in_parts.reports == in_one_pass.reports
