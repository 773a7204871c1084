"""Jobs split into parts (indus.jobs.parts): leases on parts, take-over, progress, failure and
the job's result, through the services and `execute_job` in this process, with no worker."""
from datetime import timedelta

import pytest
from django.utils import timezone

from indus.jobs import parts, services
from indus.jobs.execution import execute_job
from indus.jobs.models import Job, JobPart
from indus.jobs.reconciler import jobs_reconcile
from indus.jobs.states import JobState


@pytest.fixture(autouse=True)
def small_parts(settings):
    settings.INDUS_JOB_PART_ROWS = 100
    settings.INDUS_JOB_MAX_PARTS = 4


@pytest.fixture
def sent_messages(monkeypatch):
    sent = []
    monkeypatch.setattr("indus.jobs.dispatch.current_app.send_task",
                        lambda name, args, queue: sent.append((name, args[0], queue)))
    return sent


def parted_job(project, tmp_path, rows: int, **spec) -> Job:
    return services.job_create(project=project, kind="test.parted",
                               spec={"rows": rows, "parts_log": str(tmp_path / "parts.log"), **spec})


def computed_parts(tmp_path) -> list[int]:
    log = tmp_path / "parts.log"
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def planned(project, tmp_path, rows: int) -> tuple[Job, services.Lease]:
    job = parted_job(project, tmp_path, rows)
    lease = services.job_claim(job_id=job.pk, worker="coordinator")
    parts.job_parts_plan(lease=lease, ranges=parts.part_ranges(total_rows=rows))
    return job, lease


def test_the_number_of_parts_follows_the_rows_and_is_capped():
    assert parts.part_ranges(total_rows=100) == [(0, 100)]
    assert parts.part_ranges(total_rows=250) == [(0, 83), (83, 167), (167, 250)]
    capped = parts.part_ranges(total_rows=10_000)
    assert len(capped) == 4 and capped[0] == (0, 2500) and capped[-1][1] == 10_000
    assert parts.part_ranges(total_rows=250, align=40) == [(0, 80), (80, 160), (160, 250)]


def test_planning_again_finds_the_same_parts(project, tmp_path):
    job, lease = planned(project, tmp_path, 250)
    again = parts.job_parts_plan(lease=lease, ranges=[(0, 250)])
    assert [(part.first_row, part.end_row) for part in again] == [(0, 83), (83, 167), (167, 250)]


def test_two_workers_claim_different_parts_and_none_is_left(project, tmp_path):
    job, _ = planned(project, tmp_path, 250)
    claimed = [parts.job_part_claim(job_id=job.pk, worker=f"w{i}") for i in range(4)]
    assert [lease.index for lease in claimed[:3]] == [0, 1, 2] and claimed[3] is None


def test_a_silent_workers_part_is_taken_over_and_its_writes_are_fenced(project, tmp_path, settings):
    job, _ = planned(project, tmp_path, 250)
    silent = parts.job_part_claim(job_id=job.pk, worker="silent")
    others = [parts.job_part_claim(job_id=job.pk, worker="busy") for _ in range(2)]
    assert parts.job_part_claim(job_id=job.pk, worker="idle") is None
    # The busy worker keeps renewing; the silent one does not.
    for lease in others:
        JobPart.objects.filter(pk=lease.part_id).update(heartbeat_at=later(settings.INDUS_JOB_LEASE_SECONDS))
    taken = parts.job_part_claim(job_id=job.pk, worker="idle", now=later(settings.INDUS_JOB_LEASE_SECONDS + 1))
    assert taken.index == silent.index and taken.attempt == 2
    assert parts.job_part_succeed(lease=silent, result={"sum": -1}) is False
    assert parts.job_part_heartbeat(lease=silent) == (False, False)
    assert parts.job_part_succeed(lease=taken, result={"sum": 1}) is True
    assert JobPart.objects.get(pk=taken.part_id).result == {"sum": 1}


def test_the_jobs_progress_is_the_sum_of_its_parts(project, tmp_path):
    job, _ = planned(project, tmp_path, 200)  # two parts of 100 rows
    first, second = (parts.job_part_claim(job_id=job.pk, worker="w") for _ in range(2))
    parts.job_part_report_progress(lease=first, fraction=0.5)
    parts.job_part_report_progress(lease=second, fraction=0.3)
    job.refresh_from_db()
    assert job.progress == pytest.approx(0.4)
    parts.job_part_succeed(lease=first, result={})
    job.refresh_from_db()
    assert job.progress == pytest.approx(0.65) and job.progress_message == "130 of 200 rows done"


def test_no_part_is_claimed_once_cancellation_is_asked_for(project, tmp_path):
    job, _ = planned(project, tmp_path, 250)
    lease = parts.job_part_claim(job_id=job.pk, worker="w")
    services.job_cancel(job=job)
    assert parts.job_part_claim(job_id=job.pk, worker="w") is None
    assert parts.job_part_heartbeat(lease=lease) == (True, True)


def test_a_part_that_lost_its_worker_too_often_fails(project, tmp_path, settings):
    job, _ = planned(project, tmp_path, 250)
    JobPart.objects.filter(job=job, index=0).update(attempts=job.max_attempts)
    assert parts.job_part_claim(job_id=job.pk, worker="w").index == 1
    assert "gave up after" in JobPart.objects.get(job=job, index=0).error


def test_the_reconciler_asks_again_for_parts_whose_worker_went_silent(
    project, tmp_path, settings, sent_messages, django_capture_on_commit_callbacks
):
    job, lease = planned(project, tmp_path, 250)
    parts.job_part_claim(job_id=job.pk, worker="silent")
    Job.objects.filter(pk=job.pk).update(heartbeat_at=later(settings.INDUS_JOB_LEASE_SECONDS))  # the coordinator lives
    with django_capture_on_commit_callbacks(execute=True):
        report = jobs_reconcile(now=later(settings.INDUS_JOB_LEASE_SECONDS + 1))
    assert report.released == 0 and report.parts_redispatched == 1
    assert sent_messages == [("indus.jobs.run_job_parts", job.pk, "cpu")]


# execute_job closes the thread's connection, as a worker does: these need real transactions.
@pytest.mark.django_db(transaction=True)
def test_a_job_computes_every_part_and_succeeds_once_with_their_merged_result(project, tmp_path, sent_messages):
    job = parted_job(project, tmp_path, 250)
    assert execute_job(job_id=job.pk, worker="w1") == "succeeded"
    job.refresh_from_db()
    assert job.result == {"sum": sum(range(250)), "parts": 3} and job.progress == 1.0
    assert sorted(computed_parts(tmp_path)) == [0, 1, 2]
    # The other workers were asked for; a late one finds nothing left, and a repeated delivery nothing to run.
    assert [name for name, _, _ in sent_messages].count("indus.jobs.run_job_parts") == 2
    from indus.jobs.part_execution import execute_job_parts

    assert execute_job_parts(job_id=job.pk, worker="w2") == "computed 0 part(s)"
    assert execute_job(job_id=job.pk, worker="w3") == "skipped"
    assert job.events.filter(message="succeeded").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_new_delivery_reuses_the_parts_already_done(project, tmp_path, settings, sent_messages):
    job, lease = planned(project, tmp_path, 250)
    done = parts.job_part_claim(job_id=job.pk, worker="w1")
    parts.job_part_succeed(lease=done, result={"sum": sum(range(done.first_row, done.end_row))})
    # The coordinator dies: the reconciler puts the job back and another worker delivers it.
    assert services.job_release_lost(job=Job.objects.get(pk=job.pk), now=later(settings.INDUS_JOB_LEASE_SECONDS + 1))
    assert execute_job(job_id=job.pk, worker="w2") == "succeeded"
    job.refresh_from_db()
    assert job.result["sum"] == sum(range(250)) and job.attempts == 2
    assert sorted(computed_parts(tmp_path)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_a_part_with_bad_input_fails_the_job_naming_the_part_and_row(project, tmp_path, sent_messages):
    job = parted_job(project, tmp_path, 250, bad_row=120)
    assert execute_job(job_id=job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "part 2 of 3 (rows 83 to 166): row 120: not a number"
