"""SQL imports attacked where they run: a real Celery worker, with imports submitted and retried
through the live API.

The attacks this reproduces:
- 2,500 rows of `zeroblob(1000000)` took a worker to MemoryError at 1.6 GB: the query's rows
  were held 10,000 at a time whatever their width. Now SQLite itself refuses a value over the
  import limit, rows stream in batches of at most 16 MiB, and a row wider than a batch, or more
  rows than the import limit, fails the job naming the limit. The worker's peak memory grows by
  less than WORKER_MEMORY_BOUND while 1.25 GB of rows go through it.
- A connection to a server that never answered took 130 s to fail: the time limit was checked
  only between partitions. Now it bounds the connection attempt too.
- The failures of a connection read differently for a refused port and a silent one, which let
  imports map the network. Now they read the same.
- The stored URL outlived its import, and another member's retry used it. Now it is deleted
  when the import ends unless its user kept it, and it serves only that user's imports.
"""
import socket
import sqlite3

import pytest

from indus.datasets.models import DatasetVersion, SqlConnection
from indus.jobs.models import Job
from indus.jobs.states import TERMINAL_STATES
from tests.security.processes import resident_bytes, worker_with
from tests.security.sql_members import member, stored_state
from tests.support.workers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MiB = 1024**2
BLOB_ROWS = 2_500  # the attack's row count
MAX_ROWS = 5_000  # the import row limit this worker runs with
# Batches hold 16 MiB of rows: the driver's fetch, the Python rows, their Arrow copy and the
# Parquet writer's row group stay well under this, however many rows go through.
WORKER_MEMORY_BOUND = 256 * MiB


@pytest.fixture(scope="module")
def sqlite_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sql-sources")
    with sqlite3.connect(folder / "numbers.sqlite3") as db:
        db.execute("CREATE TABLE n (x INTEGER)")
        db.executemany("INSERT INTO n VALUES (?)", ((i,) for i in range(1, BLOB_ROWS + 1)))
    return folder


@pytest.fixture(scope="module")
def sql_worker(django_db_setup, sqlite_folder, tmp_path_factory):
    with worker_with(tmp_path_factory.mktemp("sql-worker"), INDUS_SQL_IMPORT_SQLITE_DIRS=str(sqlite_folder),
                     INDUS_SQL_IMPORT_ALLOWED_HOSTS="127.0.0.1", INDUS_IMPORT_MAX_ROWS=str(MAX_ROWS)) as worker:
        yield worker


@pytest.fixture(autouse=True)
def same_settings_on_the_web(settings, sqlite_folder):
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = [str(sqlite_folder)]
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def editor(live_server, dataset):
    return member(live_server.url, dataset, "ed")


def finished(response, timeout: float = 180) -> Job:
    assert response.status_code == 201, response.text
    job_id = response.json()["id"]
    wait_for(lambda: Job.objects.filter(pk=job_id, state__in=TERMINAL_STATES).exists(), timeout=timeout,
             interval=0.2, message=f"job {job_id} to finish")
    return Job.objects.get(pk=job_id)


@pytest.fixture(scope="module")
def numbers_url(sqlite_folder) -> str:
    return f"sqlite:///{sqlite_folder / 'numbers.sqlite3'}"


@pytest.fixture
def worker_baseline(sql_worker, editor, numbers_url) -> int:
    """The worker's memory once it has run one small import (its modules loaded)."""
    job = finished(editor.from_sql(numbers_url, "SELECT x FROM n WHERE x <= 10"))
    assert job.state == "succeeded", job.error
    return resident_bytes(sql_worker.process.pid, "VmRSS")


def assert_peak_memory_bounded(worker, baseline: int) -> int:
    grown = resident_bytes(worker.process.pid) - baseline
    assert grown < WORKER_MEMORY_BOUND, f"the worker's peak memory grew by {grown / MiB:.0f} MiB"
    return grown


def blob_columns(count: int, value_bytes: int) -> str:
    return ", ".join(f"zeroblob({value_bytes}) AS b{column}" for column in range(count))


@pytest.mark.parametrize("query,message", [
    # The attack, 2.5 GB of rows.
    ("SELECT x AS id, zeroblob(1000000) AS payload FROM n",
     "a single value may hold at most 524,288 bytes (INDUS_IMPORT_MAX_VALUE_BYTES)"),
    # One row of 40 values, each within the limit, 20 MB together: wider than a batch.
    (f"SELECT {blob_columns(40, 500_000)} FROM n WHERE x = 1",
     "row 1 holds 20,000,000 bytes, more than the 16,777,216 bytes an SQL import holds at a time"),
    ("WITH RECURSIVE m(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM m WHERE i < 6000) SELECT i FROM m",
     f"more than {MAX_ROWS:,} rows, the most an import takes (INDUS_IMPORT_MAX_ROWS)"),
], ids=["zeroblob-attack", "row-wider-than-a-batch", "too-many-rows"])
def test_rows_past_an_import_limit_fail_naming_it_in_bounded_memory(
    sql_worker, worker_baseline, editor, numbers_url, query, message,
):
    versions_before = list(DatasetVersion.objects.values_list("pk", "sha256"))
    job = finished(editor.from_sql(numbers_url, query))
    assert job.state == "failed"
    assert message in job.error and "Traceback" not in job.error
    assert sql_worker.alive
    assert_peak_memory_bounded(sql_worker, worker_baseline)
    assert list(DatasetVersion.objects.values_list("pk", "sha256")) == versions_before


def test_wide_rows_within_the_limits_stream_through_in_bounded_memory(sql_worker, worker_baseline, editor, numbers_url):
    # 2,500 rows of 500,000 bytes: 1.25 GB, held 16 MiB at a time.
    job = finished(editor.from_sql(numbers_url, "SELECT x AS id, zeroblob(500000) AS payload FROM n"))
    assert job.state == "succeeded", job.error
    version = DatasetVersion.objects.get(pk=job.result["dataset_version_id"])
    assert (version.row_count, [c["type"] for c in version.columns]) == (BLOB_ROWS, ["int64", "binary"])
    grown = assert_peak_memory_bounded(sql_worker, worker_baseline)
    print(f"peak worker memory grew by {grown / MiB:.0f} MiB for {BLOB_ROWS * 500_000 / 1e9:.2f} GB of rows")


@pytest.fixture
def silent_server():
    """A port on which a server takes connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_time_limit_bounds_the_connection_attempt(sql_worker, editor, silent_server):
    job = finished(editor.from_sql(f"postgresql+psycopg://reader:s3cret@127.0.0.1:{silent_server}/sales",
                                   timeout_seconds=3), timeout=60)
    assert job.state == "failed"
    assert job.error.startswith(f"could not connect to postgresql+psycopg://reader:***@127.0.0.1:{silent_server}/sales "
                                "within the import's limit of 3 s")
    took = (job.finished_at - job.started_at).total_seconds()
    assert took < 3 + 3, f"the connection attempt took {took:.1f} s"


def test_a_refused_a_silent_and_a_missing_server_read_the_same(sql_worker, editor, silent_server):
    errors = []
    for server in (f"127.0.0.1:{closed_port()}", f"127.0.0.1:{silent_server}", "no-such-host.invalid"):
        job = finished(editor.from_sql(f"postgresql+psycopg://reader:s3cret@{server}/sales", timeout_seconds=2),
                       timeout=60)
        assert job.state == "failed"
        assert "s3cret" not in job.error
        errors.append(job.error.replace(job.spec["url"], "URL"))
    assert errors[0] == errors[1] == errors[2]
    assert not {"refused", "timeout", "resolve"} & set(errors[0].split())


def test_credentials_are_deleted_when_the_import_ends(sql_worker, editor, numbers_url):
    succeeded = finished(editor.from_sql(numbers_url, "SELECT x FROM n WHERE x <= 3"))
    failed = finished(editor.from_sql(numbers_url, "SELECT x FROM missing_table"))
    assert (succeeded.state, failed.state) == ("succeeded", "failed")
    assert not SqlConnection.objects.filter(pk__in=[succeeded.spec["connection_id"], failed.spec["connection_id"]]).exists()
    retry = finished(editor.retry(failed))
    assert retry.state == "failed"
    assert retry.error.startswith("the connection URL of this import is no longer stored")


def test_kept_credentials_serve_their_owner_only(sql_worker, live_server, editor, dataset, sqlite_folder):
    source = sqlite_folder / "later.sqlite3"
    sqlite3.connect(source).close()
    first = finished(editor.from_sql(f"sqlite:///{source}", "SELECT x FROM later", keep_credentials=True))
    assert first.state == "failed" and "no such table" in first.error
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE later (x INTEGER)")
        db.execute("INSERT INTO later VALUES (7)")
    kept = SqlConnection.objects.get(pk=first.spec["connection_id"])

    other = member(live_server.url, dataset, "otto")
    stolen = finished(other.retry(first))
    assert stolen.state == "failed"
    assert stolen.error.startswith("this import's stored credentials belong to the member who first submitted it")
    assert not DatasetVersion.objects.filter(import_job=stolen).exists()
    assert SqlConnection.objects.get(pk=kept.pk).encrypted_url == kept.encrypted_url  # untouched

    own = finished(editor.retry(first))
    assert own.state == "succeeded", own.error
    assert SqlConnection.objects.filter(pk=kept.pk).exists()  # kept, as its user chose


def test_nothing_stored_changes_when_an_import_is_refused_on_the_worker(sql_worker, editor, numbers_url, settings):
    """The worker checks the URL again with its own settings: an address allowed on the web
    server but not on the worker fails there, before any connection."""
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = ["127.0.0.1", "10.0.0.0/8"]
    before = stored_state()
    job = finished(editor.from_sql("postgresql+psycopg://reader:pw@10.9.9.9:5432/sales"), timeout=60)
    assert job.state == "failed"
    assert job.error.startswith("the connection URL is refused: imports may not reach 10.9.9.9")
    assert stored_state()[1] == before[1]
