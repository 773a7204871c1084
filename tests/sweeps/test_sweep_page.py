"""The sweep's job page through the admin: its Cancel while it runs, then which hyperparameters
mattered and a parallel coordinates chart of the completed trials, drawn on the server as SVG."""
import re

import pytest
from django.urls import reverse

from indus.sweeps.admin import BOTTOM, HEIGHT, MARGIN_X, TOP, WIDTH
from indus.sweeps.services import sweep_submit
from indus.tenancy.models import Role
from tests.admin.conftest import admin_client_as  # noqa: F401  (a fixture, shared)
from tests.sweeps.conftest import TASK
from tests.sweeps.test_coordinator import coordinator_of, train, trial_jobs

pytestmark = pytest.mark.django_db(transaction=True)

SPACE = {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}, "batch_size": {"choices": [32, 64]}}


def test_the_sweep_page_cancels_then_charts_its_trials(project, arrivals, admin_client_as):  # noqa: F811
    job = sweep_submit(project=project, dataset_version=arrivals(), task=TASK, model_name="delays", search_space=SPACE,
                       trials=3, parallelism=3)
    coordinator = coordinator_of(job)
    coordinator.poll()
    page_url = reverse("admin:jobs_job_change", args=[job.pk])
    running = admin_client_as(Role.EDITOR, username="ed").get(page_url).content.decode()
    assert 'id="job-cancel"' in running and reverse("admin:jobs_job_cancel", args=[job.pk]) in running
    assert 'id="sweep-importance"' not in running and 'id="sweep-parallel-coordinates"' not in running

    for trial, mae in zip(trial_jobs(job), [2.0, 1.5, 3.0]):
        train(trial, [mae + 1, mae])
    assert coordinator.poll() is True
    coordinator.result()
    page = admin_client_as(Role.VIEWER).get(page_url).content.decode()
    shares = dict(re.findall(r'<tr id="sweep-importance-(\w+)">.*?<td>([\d.]+)</td></tr>', page, re.S))
    assert set(shares) == set(SPACE) and abs(sum(float(share) for share in shares.values()) - 1) < 0.02
    lines = dict(re.findall(r'<polyline id="sweep-line-(\d+)" points="([^"]+)"', page))
    assert set(lines) == {"0", "1", "2"}
    # The last axis is the value's: the best (lowest mae) ends at its bottom, the worst at its top.
    value_axis = WIDTH - MARGIN_X
    assert lines["1"].split()[-1] == f"{value_axis:.1f},{HEIGHT - BOTTOM:.1f}"
    assert lines["2"].split()[-1] == f"{value_axis:.1f},{TOP:.1f}"
    assert re.search(r'<polyline id="sweep-line-1" [^>]*stroke="#e07000"', page)
