"""One batch-inference job on one worker against the same job split into parts on two workers.

The platform end to end, in a scratch folder of its own (SQLite database and broker): a small
BERT (`bench.inference_scale`'s) over 200,000 short texts, submitted as a job through the
service the API calls, and computed by real `celery worker` processes, each pinned to one core
of its own, so that each computes with one thread (the runtime sizes torch's threads to the
cores the process may use), and warmed up by a small job first, as a worker that has run jobs
before is (torch imported, the model in its cache). The one worker runs the job whole, as a
job below INDUS_JOB_PART_ROWS runs; the two share its parts (the default 50,000 rows each).
Reports the time from submission to success of each, the ratio, whether the outputs are equal
row for row, each worker's peak resident memory, and the CPU time each worker was given during
the job: a worker given less than its whole core (other processes on the machine) cannot show
the scaling, and the CPU seconds say what the times would be on idle cores.

    python -m bench.sharded_inference [--rows 200000] [--part-rows 50000] [--events]
"""
import argparse
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[1]
# Each worker first runs a small job of this many rows, as a worker that has run jobs before:
# torch imported, the model in its cache. Timed cold, a worker's first seconds go to loading.
WARM_UP_ROWS = 2000


def platform_env(var_dir: Path) -> dict[str, str]:
    """Settings shared by this process and the workers: one scratch database and broker."""
    return {
        "DJANGO_SETTINGS_MODULE": "indus.settings",
        "INDUS_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'bench.sqlite3'}",
        "CELERY_BROKER_URL": f"sqla+sqlite:///{var_dir / 'broker.sqlite3'}",
        "CELERY_RESULT_BACKEND": f"db+sqlite:///{var_dir / 'results.sqlite3'}",
        "CUDA_VISIBLE_DEVICES": "",
        "PYTHONPATH": os.pathsep.join([str(REPO_DIR / "platform"), str(REPO_DIR)]),
    }


class PinnedWorker:
    """A `celery worker` on the gpu queue (where batch inference runs), on one core."""

    def __init__(self, name: str, core: int, var_dir: Path, **env: str):
        self.name, self.core = name, core
        self.log_path = var_dir / f"{name}.log"
        argv = [sys.executable, "-m", "celery", "-A", "indus.celery", "worker", "--queues", "gpu", "--pool", "solo",
                "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, env={**os.environ, **platform_env(var_dir), **env}, cwd=REPO_DIR,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            preexec_fn=lambda: os.sched_setaffinity(0, {core}))
        deadline = time.monotonic() + 120
        while "ready." not in self.log_path.read_text(errors="replace"):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"worker {name} did not start; see {self.log_path}")
            time.sleep(0.2)

    def peak_rss_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024

    def cpu_seconds(self) -> float:
        """User and system time of the worker so far: what it was given of its core."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def setup_platform(folder: Path, rows: int):
    """The model and the input as a project's model version and dataset version."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    import pyarrow.parquet as pa_parquet
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile

    import indus.celery  # noqa: F401 - the app the job's message is sent with
    from bench.inference_scale import prepare
    from indus.core.storage import artifact_storage, store_folder
    from indus.datasets.models import DatasetVersion
    from indus.datasets.profiling import DatasetProfiler
    from indus.datasets.services import dataset_create, dataset_version_create
    from indus.datasets.snapshots import preview_of
    from indus.registry.services import model_version_create, registered_model_get_or_create
    from indus.tenancy.services import project_create

    prepare(folder, rows)
    owner = get_user_model().objects.create_user(username="bench", password="bench-only-password")
    project = project_create(slug="bench", name="Bench", owner=owner)
    model = registered_model_get_or_create(project=project, name="intents", task="retail.support_intent")
    model_version = model_version_create(model=model, artifact_path=store_folder(folder / "model", "models/bench/intents/v1"),
                                         metrics={})
    dataset = dataset_create(project=project, name="messages")

    def stored(table) -> DatasetVersion:
        sink = io.BytesIO()
        pa_parquet.write_table(table, sink, row_group_size=50_000)
        data = sink.getvalue()
        sha = hashlib.sha256(data).hexdigest()
        path = artifact_storage().save(f"datasets/bench/{sha}.parquet", ContentFile(data))
        profiler = DatasetProfiler(table.schema)
        for batch in table.to_batches():
            profiler.add(batch)
        version, _ = dataset_version_create(
            dataset=dataset, sha256=sha, source=DatasetVersion.Source.UPLOAD, data_path=path, size_bytes=len(data),
            row_count=table.num_rows, columns=[{"name": field.name, "type": str(field.type)} for field in table.schema],
            profile=profiler.as_dict(), preview=preview_of(io.BytesIO(data)),
        )
        return version

    table = pa_parquet.read_table(folder / "input.parquet")
    return project, model_version, stored(table), stored(table.slice(0, WARM_UP_ROWS))


def finished_jobs(project, model_version, dataset_version, count: int):
    """Submit `count` jobs at once and wait for them; the seconds until the last succeeded."""
    from indus.inference.services import batch_inference_submit
    from indus.jobs.states import TERMINAL_STATES

    started = time.perf_counter()
    jobs = [batch_inference_submit(project=project, model_version=model_version, dataset_version=dataset_version,
                                   batch_size=256) for _ in range(count)]
    for job in jobs:
        while job.state not in TERMINAL_STATES:
            time.sleep(0.2)
            job.refresh_from_db()
        if job.state != "succeeded":
            raise RuntimeError(f"job {job.pk} {job.state}: {job.error}")
    return time.perf_counter() - started, jobs


def timed_job(project, model_version, dataset_version, warm_up_version, workers: list[PinnedWorker]):
    """Warm the workers up, then submit the job and wait for its end; (seconds, job, each
    worker's peak RSS in MiB, the CPU seconds each spent on the job)."""
    # One small job each: a solo worker holds one message at a time, so each takes one.
    _, warm_ups = finished_jobs(project, model_version, warm_up_version, len(workers))
    if len({job.worker for job in warm_ups}) != len(workers):
        raise RuntimeError("a worker ran two warm-up jobs; run the benchmark again")
    cpu_before = [worker.cpu_seconds() for worker in workers]
    seconds, (job,) = finished_jobs(project, model_version, dataset_version, 1)
    cpu = [worker.cpu_seconds() - before for worker, before in zip(workers, cpu_before)]
    peaks = [worker.peak_rss_mib() for worker in workers]
    for worker in workers:
        worker.stop()
    return seconds, job, peaks, cpu


def stored_output(job):
    import pyarrow.parquet as pa_parquet

    from indus.core.storage import artifact_storage

    return pa_parquet.read_table(artifact_storage().path(job.result["output_path"]))


def cpu_text(cpu: list[float], seconds: float) -> str:
    """A worker given less than its whole core (others' processes on it) cannot scale."""
    return " / ".join(f"{used:.0f} ({used / seconds:.0%})" for used in cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--part-rows", type=int, default=50_000, help="INDUS_JOB_PART_ROWS of the two workers")
    parser.add_argument("--events", action="store_true", help="print the two-worker job's events, timed")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        raise SystemExit("this benchmark needs two cores: one per worker")
    with tempfile.TemporaryDirectory() as scratch:
        folder, var_dir = Path(scratch), Path(scratch) / "var"
        var_dir.mkdir()
        os.environ.update(platform_env(var_dir))
        project, model_version, version, warm_up = setup_platform(folder, args.rows)

        # The job whole, as any job below INDUS_JOB_PART_ROWS runs: today's path.
        # Output parts no larger than job parts, in both runs alike (job parts start on their edges).
        output_parts = {"INDUS_INFERENCE_ROWS_PER_PART": str(min(50_000, args.part_rows))}
        whole = [PinnedWorker("bench-whole", cores[0], var_dir, INDUS_JOB_PART_ROWS=str(args.rows + 1), **output_parts)]
        one_seconds, one_job, one_peaks, one_cpu = timed_job(project, model_version, version, warm_up, whole)
        shared = [PinnedWorker(f"bench-{index}", core, var_dir, INDUS_JOB_PART_ROWS=str(args.part_rows), **output_parts)
                  for index, core in enumerate(cores[:2])]
        two_seconds, two_job, two_peaks, two_cpu = timed_job(project, model_version, version, warm_up, shared)

        from bench.report import print_table
        from indus.jobs.models import JobPart

        parts = JobPart.objects.filter(job=two_job)
        by_worker = {worker.name: parts.filter(worker__startswith=f"{worker.name}@").count() for worker in shared}
        one_output, two_output = stored_output(one_job), stored_output(two_job)
        equal = one_output.equals(two_output)
        print_table(
            f"One batch-inference job of {args.rows:,} short texts (small BERT), workers of one compute thread each",
            ["run", "seconds", "rows/s", "parts", "peak RSS MiB per worker", "CPU s per worker (share of wall)"],
            [["1 worker, job whole", one_seconds, args.rows / one_seconds, 1, " / ".join(f"{p:.0f}" for p in one_peaks),
              cpu_text(one_cpu, one_seconds)],
             ["2 workers, job in parts", two_seconds, args.rows / two_seconds, parts.count(),
              " / ".join(f"{p:.0f}" for p in two_peaks), cpu_text(two_cpu, two_seconds)]],
        )
        print(f"\n2 workers vs 1: {one_seconds / two_seconds:.2f}x faster (target 1.8x); parts per worker "
              f"{', '.join(f'{name} {count}' for name, count in by_worker.items())}; outputs equal row for row: "
              f"{'yes' if equal else 'NO'} ({one_output.num_rows:,} and {two_output.num_rows:,} rows)")
        if args.events:
            for event in two_job.events.all():
                print(f"{(event.created_at - two_job.created_at).total_seconds():7.2f}  {event.message}")
        if not equal:
            raise SystemExit("the two outputs differ")


if __name__ == "__main__":
    main()
