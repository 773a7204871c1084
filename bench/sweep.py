"""The wall time of a small sweep: a few trials of the tabular encoder on a small table.

The platform end to end, in a scratch folder of its own (SQLite database and broker): the
transport plugin's stop arrivals stored by the sample job, then a sweep of `--trials` trials
over the tabular backbone's default search space, `--parallelism` at a time. Its trials are
fine-tuning jobs that real `celery worker` processes on the gpu queue train, one per core
(`bench.sharded_inference`'s workers); this process plays the cpu worker and runs the sample
job and the sweep's coordinator through `execute_job`, as a cpu worker would. Reports the
seconds from submission to the sweep's end, the seconds per trial, and what each trial took.

    python -m bench.sweep [--trials 4] [--parallelism 2] [--rows 400] [--epochs 2]
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.sharded_inference import PinnedWorker, platform_env

TASK = "transport.arrival_delay"


def setup_platform(rows: int):
    """A project and a version of the task's sample table, stored by the sample job run here."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    import indus.celery  # noqa: F401 - the app the trials' messages are sent with
    from indus.datasets.services import dataset_create, dataset_generate_sample
    from indus.jobs.execution import execute_job
    from indus.plugins.manager import get_registry
    from indus.tenancy.services import project_create

    owner = get_user_model().objects.create_user(username="bench", password="bench-only-password")
    project = project_create(slug="bench", name="Bench", owner=owner)
    dataset = dataset_create(project=project, name="arrivals")
    sample = get_registry().samples_for_task(TASK)[0]
    job = dataset_generate_sample(dataset=dataset, sample=sample.name, rows=rows)
    if execute_job(job_id=job.pk, worker="bench-cpu@local") != "succeeded":
        job.refresh_from_db()
        raise RuntimeError(f"the sample job failed: {job.error}")
    return project, dataset.versions.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--parallelism", type=int, default=2)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--epochs", type=float, default=2, help="each trial's most passes over the training split")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as scratch:
        var_dir = Path(scratch) / "var"
        var_dir.mkdir()
        os.environ.update(platform_env(var_dir), INDUS_SWEEP_POLL_SECONDS="0.5")
        project, version = setup_platform(args.rows)
        workers = [PinnedWorker(f"bench-gpu-{index}", cores[index % len(cores)], var_dir)
                   for index in range(args.parallelism)]
        try:
            from indus.jobs.execution import execute_job
            from indus.sweeps.services import sweep_submit

            started = time.perf_counter()
            job = sweep_submit(project=project, dataset_version=version, task=TASK, model_name="delays",
                               hyperparameters={"epochs": args.epochs}, trials=args.trials,
                               parallelism=args.parallelism)
            outcome = execute_job(job_id=job.pk, worker="bench-cpu@local")
            seconds = time.perf_counter() - started
        finally:
            for worker in workers:
                worker.stop()
        job.refresh_from_db()
        if outcome != "succeeded":
            raise SystemExit(f"the sweep {outcome}: {job.error}")

        from bench.report import print_table

        trials = list(job.sweep.trials.select_related("job"))
        print_table(
            f"A sweep of {args.trials} trials, {args.parallelism} at a time, of the tabular encoder on {args.rows} rows "
            f"({TASK}, at most {args.epochs:g} epochs each)",
            ["trial", "hyperparameters", "state", f"validation {job.sweep.metric}", "job seconds"],
            [[trial.number, ", ".join(f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value}"
                                      for name, value in trial.hyperparameters.items()),
              trial.state, trial.value, (trial.job.finished_at - trial.job.started_at).total_seconds()]
             for trial in trials],
        )
        print(f"\nsweep: {seconds:.1f} s from submission to its end, {seconds / args.trials:.1f} s per trial "
              f"(best trial {job.result['best_trial']}, validation {job.sweep.metric} {job.result['best_value']:.4g})")


if __name__ == "__main__":
    main()
