"""Importing a dataset version from an SQL query: refused clearly at submission when it could
write or cannot connect, stopped clearly when it runs too long, and end to end from SQLite."""
import sqlite3

import pytest
from django.db import connection
from django.conf import settings as django_settings

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
def test_only_one_read_only_statement_is_accepted(from_sql, query, code, words):
    response = from_sql("sqlite://", query)
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
    response = from_sql("postgresql+psycopg://reader:s3cret-pw@db.example.com/sales", "SELECT * FROM orders")
    assert response.status_code == 201
    assert "s3cret-pw" not in response.content.decode()
    job = Job.objects.get(pk=response.json()["id"])
    assert job.spec["url"] == "postgresql+psycopg://reader:***@db.example.com/sales"
    assert SqlConnection.objects.get(pk=job.spec["connection_id"]).url.endswith("s3cret-pw@db.example.com/sales")


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
    assert version.columns == [{"name": "id", "type": "int64"}, {"name": "region", "type": "string"},
                               {"name": "amount", "type": "double"}, {"name": "note", "type": "string"}]
    viewer = api_client(world.users[Role.VIEWER])
    preview = viewer.get(f"/api/v1/projects/credit/datasets/{world.dataset.pk}/versions/{version.number}/preview/?rows=2")
    assert preview.json()["rows"] == [{"id": 0, "region": "north", "amount": 0.0, "note": None},
                                      {"id": 1, "region": "south", "amount": 1.5, "note": None}]
    profile = {c["name"]: c for c in version.profile["columns"]}
    assert profile["note"]["missing"] == 15_000


@pytest.mark.django_db(transaction=True)
def test_a_slow_query_is_stopped_at_its_limit_and_says_so(from_sql, sales_db):
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n"
    job = run(from_sql(f"sqlite:///{sales_db}", endless, timeout_seconds=1).json()["id"])
    assert job.state == "failed"
    assert job.error.startswith("the query ran longer than its limit of 1 s and was stopped")


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_fails_without_showing_the_password(from_sql):
    job = run(from_sql("postgresql+psycopg://reader:s3cret-pw@127.0.0.1:9/sales", "SELECT 1").json()["id"])
    assert job.state == "failed"
    assert job.error.startswith("could not connect to postgresql+psycopg://reader:***@127.0.0.1:9/sales")
    assert "s3cret-pw" not in job.error + " ".join(job.events.values_list("message", flat=True))
