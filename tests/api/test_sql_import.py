"""Importing a dataset version from an SQL query: refused clearly at submission when it could
write or cannot connect, stopped clearly when it runs too long, and end to end from SQLite."""
import hashlib
import os
import sqlite3
import time
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pyarrow.parquet as pa_parquet
import pytest
from django.conf import settings as django_settings
from django.db import connection
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion, SqlConnection
from indus.jobs.execution import execute_job
from indus.jobs.models import Job
from indus.tenancy.models import Role

ROWS = 25_000  # more than two of the runner's partitions


@pytest.fixture
def sales_db(tmp_path, settings):
    """A SQLite file in a folder SQL imports may read; `note` is NULL in the first partition."""
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = [str(tmp_path)]
    path = tmp_path / "sales.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sales (id INTEGER, region TEXT, amount REAL, note TEXT)")
        db.executemany(
            "INSERT INTO sales VALUES (?, ?, ?, ?)",
            ((i, ["north", "south", "east"][i % 3], i * 1.5, "late" if i >= 15_000 else None) for i in range(ROWS)),
        )
    return path


@pytest.fixture
def from_sql(world, api_client):
    client = api_client(world.users[Role.EDITOR])

    def post(url: str, query: str, **extra):
        return client.post(f"/api/v1/projects/credit/datasets/{world.dataset.pk}/from-sql/",
                           {"url": url, "query": query, **extra}, format="json")

    return post


@pytest.mark.parametrize(
    "query,code,words",
    [
        ("DELETE FROM sales", "not_read_only", "must start with SELECT or WITH, not DELETE"),
        ("DROP TABLE sales", "not_read_only", "not DROP"),
        ("SELECT 1; DELETE FROM sales", "multiple_statements", "single statement"),
        ("WITH gone AS (DELETE FROM sales RETURNING *) SELECT * FROM gone", "not_read_only", "contains DELETE"),
        ("SELECT * INTO backup FROM sales", "not_read_only", "contains INTO"),
        ("SELECT 'it''s ok; really' AS x; -- trailing comment", None, None),
        ("SELECT 'unterminated", "invalid", "unterminated"),
        ("   ", "blank", "may not be blank"),
    ],
)
def test_only_one_read_only_statement_is_accepted(from_sql, sales_db, query, code, words):
    response = from_sql(f"sqlite:///{sales_db}", query)
    if code is None:
        assert response.status_code == 201
        return
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["field"], error["code"]) == ("query", code)
    assert words in error["message"]
    assert not Job.objects.filter(kind="sql_import").exists()


@pytest.mark.parametrize(
    "url,code,words",
    [
        ("not a url", "invalid", "not an SQLAlchemy URL"),
        ("nosuchdb://host/db", "unknown_dialect", "unknown database dialect"),
        ("sqlite:////etc/passwd", "forbidden", "INDUS_SQL_IMPORT_SQLITE_DIRS"),
    ],
)
def test_bad_urls_are_refused_naming_the_url(from_sql, url, code, words):
    response = from_sql(url, "SELECT 1")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["field"], error["code"]) == ("url", code)
    assert words in error["message"]


def own_database_url() -> str:
    """The platform's database as an SQLAlchemy URL, on either backend the suite runs on."""
    own = connection.settings_dict
    if own["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{own['NAME']}"
    return f"postgresql+psycopg://{own['USER']}@{own['HOST'] or 'localhost'}:{own['PORT'] or 5432}/{own['NAME']}"


def test_the_platforms_own_database_is_refused(from_sql, settings):
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = [str(django_settings.VAR_DIR)]
    response = from_sql(own_database_url(), "SELECT * FROM tenancy_apitoken")
    assert (response.status_code, response.json()["error"]["field"]) == (400, "url")
    assert "platform's own database" in response.json()["error"]["message"]


def test_the_password_is_kept_out_of_the_job_and_the_response(from_sql):
    # A .invalid name never resolves (RFC 6761): the check asks no real resolver about it.
    response = from_sql("postgresql+psycopg://reader:s3cret-pw@db.invalid/sales", "SELECT * FROM orders")
    assert response.status_code == 201
    assert "s3cret-pw" not in response.content.decode()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.spec["url"] == "postgresql+psycopg://reader:***@db.invalid/sales"
    stored = SqlConnection.objects.get(pk=job.spec["connection_id"])
    assert stored.shown_url == job.spec["url"]
    assert "s3cret-pw" not in stored.shown_url + stored.encrypted_url  # encrypted at rest (tests/security)


def run(job_id: int) -> Job:
    execute_job(job_id=job_id, worker="test-worker")
    return Job.objects.get(pk=job_id)


@pytest.mark.django_db(transaction=True)
def test_a_query_snapshots_to_a_profiled_version(world, api_client, from_sql, sales_db):
    query = "SELECT id, region, amount, note FROM sales ORDER BY id"
    job = run(from_sql(f"sqlite:///{sales_db}", query, timeout_seconds=60).json()["id"])
    assert job.state == "succeeded", job.error

    version = DatasetVersion.objects.get(pk=job.result["dataset_version_id"])
    assert (version.source, version.row_count, version.source_name) == ("sql", ROWS, query)
    # Made by the editor who imported it, not the dataset's owner.
    assert (version.created_by, world.dataset.created_by) == (world.users[Role.EDITOR], world.users[Role.OWNER])
    assert version.columns == [{"name": "id", "type": "int64"}, {"name": "region", "type": "string"},
                               {"name": "amount", "type": "double"}, {"name": "note", "type": "string"}]
    viewer = api_client(world.users[Role.VIEWER])
    preview = viewer.get(f"/api/v1/projects/credit/datasets/{world.dataset.pk}/versions/{version.number}/preview/?rows=2")
    assert preview.json()["rows"] == [{"id": 0, "region": "north", "amount": 0.0, "note": None},
                                      {"id": 1, "region": "south", "amount": 1.5, "note": None}]
    profile = {c["name"]: c for c in version.profile["columns"]}
    assert profile["note"]["missing"] == 15_000


@pytest.mark.django_db(transaction=True)
def test_fetches_are_sized_from_the_rows_seen_not_the_widest_possible(from_sql, sales_db, monkeypatch):
    """SQLite's columns may hold anything, so the first fetch assumes four values of the import's
    whole value limit (8 rows); once the rows are seen to be short, each fetch is a batch's worth,
    cut to what FETCH_MAX_BYTES could hold at the widest possible."""
    from sqlalchemy.engine import CursorResult

    from indus.datasets import sql_import

    asked = []
    fetchmany = CursorResult.fetchmany
    monkeypatch.setattr(CursorResult, "fetchmany", lambda self, size=None: asked.append(size) or fetchmany(self, size))
    job = run(from_sql(f"sqlite:///{sales_db}", "SELECT id, region, amount, note FROM sales", timeout_seconds=60).json()["id"])
    assert job.state == "succeeded", job.error
    widest_possible = 4 * django_settings.INDUS_IMPORT_MAX_VALUE_BYTES
    assert asked[0] == sql_import.BATCH_BYTES // widest_possible
    assert set(asked[1:]) == {sql_import.FETCH_MAX_BYTES // widest_possible}
    assert sum(asked[:-2]) < ROWS <= sum(asked[:-1])  # and the last finds the end


@pytest.mark.django_db(transaction=True)
def test_a_slow_query_is_stopped_at_its_limit_and_says_so(from_sql, sales_db):
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n"
    job = run(from_sql(f"sqlite:///{sales_db}", endless, timeout_seconds=1).json()["id"])
    assert job.state == "failed"
    assert job.error.startswith("the query ran longer than its limit of 1 s and was stopped")


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_fails_without_showing_the_password(from_sql, settings):
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = ["127.0.0.1"]  # loopback is refused unless listed
    job = run(from_sql("postgresql+psycopg://reader:s3cret-pw@127.0.0.1:9/sales", "SELECT 1").json()["id"])
    assert job.state == "failed"
    assert job.error.startswith("could not connect to postgresql+psycopg://reader:***@127.0.0.1:9/sales")
    assert "s3cret-pw" not in job.error + " ".join(job.events.values_list("message", flat=True))


# --- PostgreSQL -----------------------------------------------------------------------------
# The read-only session and the statement timeout are the database's own defences, so they are
# tested against a real PostgreSQL: a throwaway database per test, dropped afterwards. CI and
# the development machine both run one, so where none answers the tests fail: never a skip
# that would hide the read-only and timeout checks.
POSTGRES_SERVER = os.environ.get("INDUS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_ROWS = 25_000  # more than two of the runner's partitions, with amounts that grow in digits


def postgres_server():
    engine = create_engine(POSTGRES_SERVER, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        engine.connect().close()
    except OperationalError as error:
        where = make_url(POSTGRES_SERVER).render_as_string(hide_password=True)
        raise AssertionError(f"no PostgreSQL answers at {where} (set INDUS_TEST_POSTGRES_URL): {error}") from None
    return engine


@pytest.fixture
def pg_sales(settings):
    """A new database holding `sales` (numeric amounts, timestamps, UUIDs) and `wipe_sales()`,
    a function that deletes every row: a write that no word of a query calling it shows. Its
    server is on this machine, which imports may reach only once the allow-list names it."""
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = [make_url(POSTGRES_SERVER).host]
    server = postgres_server()
    name = f"indus_sql_import_{uuid.uuid4().hex[:12]}"
    with server.connect() as admin:
        admin.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_SERVER).set(database=name)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as db:
            db.exec_driver_sql(
                "CREATE TABLE sales (id integer PRIMARY KEY, region text, amount numeric(12, 2), "
                "sold_at timestamptz, receipt uuid)"
            )
            db.exec_driver_sql(
                "INSERT INTO sales SELECT i, (ARRAY['north', 'south', 'east'])[mod(i, 3) + 1], "
                "i * CASE WHEN i < 20000 THEN 1.5 ELSE 1500 END, "
                "timestamptz '2024-01-01 00:00+00' + i * interval '1 minute', md5(i::text)::uuid "
                f"FROM generate_series(0, {PG_ROWS - 1}) AS i"
            )
            db.exec_driver_sql(
                "CREATE FUNCTION wipe_sales() RETURNS bigint LANGUAGE plpgsql AS $$ "
                "DECLARE removed bigint; BEGIN DELETE FROM sales; GET DIAGNOSTICS removed = ROW_COUNT; "
                "RETURN removed; END $$"
            )
        yield SimpleNamespace(url=url.render_as_string(hide_password=False), rows=lambda: _count_sales(engine))
    finally:
        engine.dispose()
        with server.connect() as admin:
            admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def _count_sales(engine) -> int:
    with engine.connect() as db:
        return db.exec_driver_sql("SELECT count(*) FROM sales").scalar_one()


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_query_snapshots_with_its_types(world, api_client, from_sql, pg_sales):
    # '%' is PostgreSQL's modulo and LIKE wildcard, and the driver's placeholder: it must reach the database as written.
    query = "SELECT id, region, amount, sold_at, receipt, id % 7 AS bucket FROM sales WHERE region LIKE '%' ORDER BY id"
    job = run(from_sql(pg_sales.url, query, timeout_seconds=60).json()["id"])
    assert job.state == "succeeded", job.error

    version = DatasetVersion.objects.get(pk=job.result["dataset_version_id"])
    assert (version.source, version.row_count) == ("sql", PG_ROWS)
    types = {c["name"]: c["type"] for c in version.columns}
    assert types["id"] == "int32" or types["id"] == "int64"
    # UUIDs as text, in their usual spelling, not as pyarrow's 16-byte UUID extension type
    assert (types["region"], types["receipt"]) == ("string", "string")
    assert types["sold_at"].startswith("timestamp[us, tz=")
    viewer = api_client(world.users[Role.VIEWER])
    url = f"/api/v1/projects/credit/datasets/{world.dataset.pk}/versions/{version.number}/preview/?rows=2"
    rows = viewer.get(url).json()["rows"]
    assert [(row["id"], row["region"], float(row["amount"]), row["bucket"]) for row in rows] == [
        (0, "north", 0.0, 0), (1, "south", 1.5, 1)]
    assert rows[0]["receipt"] == str(uuid.UUID(hashlib.md5(b"0").hexdigest()))
    # The last partition's amounts have more digits than the first's: the column holds them all.
    with artifact_storage().open(version.data_path, "rb") as stored:
        amounts = pa_parquet.read_table(stored, columns=["amount"]).column("amount").to_pylist()
    assert amounts[-1] == Decimal((PG_ROWS - 1) * 1500)
    assert types["amount"] == "decimal128(38, 2)"


@pytest.mark.django_db(transaction=True)
def test_a_numeric_without_a_declared_scale_whose_decimals_grow_is_stored_as_float(from_sql, pg_sales):
    # A bare numeric: one decimal in the first partitions, three after row 20,000.
    query = "SELECT id, CASE WHEN id < 20000 THEN id * 0.5 ELSE id * 0.125 END AS share, amount FROM sales ORDER BY id"
    job = run(from_sql(pg_sales.url, query, timeout_seconds=60).json()["id"])
    assert job.state == "succeeded", job.error
    version = DatasetVersion.objects.get(pk=job.result["dataset_version_id"])
    types = {c["name"]: c["type"] for c in version.columns}
    assert (types["share"], types["amount"]) == ("double", "decimal128(38, 2)")  # a declared scale stays exact
    with artifact_storage().open(version.data_path, "rb") as stored:
        share = pa_parquet.read_table(stored, columns=["share"]).column("share").to_pylist()
    assert (share[1], share[-1]) == (0.5, (PG_ROWS - 1) * 0.125)
    assert job.events.filter(message__contains="column 'share' has no declared scale: stored as float64").exists()


@pytest.mark.django_db(transaction=True)
def test_a_slow_postgresql_query_is_stopped_by_the_database_and_says_so(from_sql, pg_sales):
    started = time.monotonic()
    job = run(from_sql(pg_sales.url, "SELECT pg_sleep(5) AS slept", timeout_seconds=1).json()["id"])
    assert job.state == "failed"
    assert job.error.startswith("the query ran longer than its limit of 1 s and was stopped")
    # statement_timeout ends it at the limit, not when the sleep is over
    assert time.monotonic() - started < 4


def test_a_write_in_a_postgresql_cte_is_refused_before_it_runs(from_sql, pg_sales):
    response = from_sql(pg_sales.url, "WITH gone AS (DELETE FROM sales RETURNING *) SELECT count(*) FROM gone")
    assert response.status_code == 400
    assert (response.json()["error"]["field"], response.json()["error"]["code"]) == ("query", "not_read_only")
    assert pg_sales.rows() == PG_ROWS


@pytest.mark.parametrize("query,refusal", [
    ("SELECT wipe_sales() AS removed", "cannot execute DELETE in a read-only transaction"),
    ("WITH n AS (SELECT wipe_sales() AS removed) SELECT removed FROM n", "cannot execute DELETE in a read-only transaction"),
    # turning read-only off from inside the query comes too late: the transaction has begun
    ("SELECT set_config('transaction_read_only', 'off', false) AS mode, wipe_sales() AS removed",
     "transaction read-write mode must be set before any query"),
])
@pytest.mark.django_db(transaction=True)
def test_a_write_hidden_in_a_postgresql_function_is_refused_by_the_read_only_session(from_sql, pg_sales, query, refusal):
    response = from_sql(pg_sales.url, query, timeout_seconds=30)
    assert response.status_code == 201  # no word of the query writes: the database must refuse it
    job = run(response.json()["id"])
    assert job.state == "failed"
    assert job.error == f"the database refused the query: {refusal}"
    assert pg_sales.rows() == PG_ROWS
    assert not DatasetVersion.objects.filter(source="sql").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_the_usual_postgresql_spellings_mean_the_installed_driver(from_sql, pg_sales, scheme):
    # postgres:// is how DATABASE_URL spells it; plain postgresql:// names a driver not installed.
    url = pg_sales.url.replace("postgresql+psycopg://", f"{scheme}://", 1)
    job = run(from_sql(url, "SELECT count(*) AS sales FROM sales").json()["id"])
    assert job.state == "succeeded", job.error
    assert job.spec["url"].startswith("postgresql+psycopg://")


@pytest.mark.django_db(transaction=True)
def test_credentials_go_when_a_queued_import_is_cancelled_or_given_up(world, api_client, from_sql, sales_db, settings):
    """Not only the worker's run ends an import: a cancel while it is queued, and giving up
    after its attempts (in job_claim), are final too, and delete its stored URL."""
    url = f"sqlite:///{sales_db}"
    cancelled, given_up = (Job.objects.get(pk=from_sql(url, "SELECT id FROM sales").json()["id"]) for _ in range(2))
    editor = api_client(world.users[Role.EDITOR])
    assert editor.post(f"/api/v1/projects/credit/jobs/{cancelled.pk}/cancel/").status_code == 200
    Job.objects.filter(pk=given_up.pk).update(attempts=settings.INDUS_JOB_MAX_ATTEMPTS,
                                              max_attempts=settings.INDUS_JOB_MAX_ATTEMPTS)
    assert run(given_up.pk).state == "failed"
    assert Job.objects.get(pk=cancelled.pk).state == "cancelled"
    assert not SqlConnection.objects.filter(pk__in=[cancelled.spec["connection_id"], given_up.spec["connection_id"]])


@pytest.mark.django_db(transaction=True)
def test_kept_credentials_expire(world, api_client, from_sql, sales_db, settings):
    from datetime import timedelta

    from django.utils import timezone

    url = f"sqlite:///{sales_db}"
    kept = Job.objects.get(pk=from_sql(url, "SELECT id FROM missing_table", keep_credentials=True).json()["id"])
    assert run(kept.pk).state == "failed"
    assert SqlConnection.objects.filter(pk=kept.spec["connection_id"]).exists()  # kept for a retry
    days = settings.INDUS_SQL_KEPT_CREDENTIALS_DAYS
    SqlConnection.objects.filter(pk=kept.spec["connection_id"]).update(
        created_at=timezone.now() - timedelta(days=days, minutes=1))
    # Expired: the next import queued (another one, here) deletes it, and the retry says why it cannot run.
    assert from_sql(url, "SELECT region FROM sales").status_code == 201
    assert not SqlConnection.objects.filter(pk=kept.spec["connection_id"]).exists()
    editor = api_client(world.users[Role.EDITOR])
    retry = editor.post(f"/api/v1/projects/credit/jobs/{kept.pk}/retry/")
    assert retry.status_code == 201, retry.json()
    failed = run(retry.json()["id"])
    assert failed.state == "failed"
    assert f"then after {days} days" in failed.error


@pytest.mark.django_db(transaction=True)
def test_a_retried_import_is_one_of_the_datasets_imports_once_queued(world, api_client, from_sql, sales_db):
    from indus.datasets.selectors import dataset_imports

    first = Job.objects.get(pk=from_sql(f"sqlite:///{sales_db}", "SELECT id FROM missing_table",
                                        keep_credentials=True, task="finance.news_sentiment").json()["id"])
    assert run(first.pk).state == "failed"
    retry = api_client(world.users[Role.EDITOR]).post(f"/api/v1/projects/credit/jobs/{first.pk}/retry/")
    assert retry.status_code == 201, retry.json()
    queued = {record.job_id: record.task for record in dataset_imports(dataset=world.dataset)}
    assert queued == {first.pk: "finance.news_sentiment", retry.json()["id"]: "finance.news_sentiment"}
