"""SQL connection credentials at rest.

The attack this reproduces: whoever could read the platform's database (a backup, a dump, a
read-only replica, a member of staff with SQL access) read every import's password in plain
text in `SqlConnection.url`. Now the URL is a Fernet token under INDUS_CREDENTIALS_KEYS; rows
stored before are encrypted by the migration; keys rotate without losing a row.
"""
import sqlite3

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from indus.datasets.models import SqlConnection
from indus.datasets.sql_credentials import sql_connection_url
from indus.jobs.execution import execute_job
from indus.jobs.models import Job
from tests.security.sql_members import member

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-pw-4711"
URL = f"postgresql+psycopg://reader:{PASSWORD}@db.invalid:5432/sales"


def raw_rows(table: str) -> list[tuple]:
    """The table as the database holds it, through no model."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        return cursor.fetchall()


def test_the_password_is_not_in_the_database(live_server, dataset, settings):
    response = member(live_server.url, dataset, "ed").from_sql(URL, "SELECT * FROM orders")
    assert response.status_code == 201, response.text
    rows = raw_rows("datasets_sqlconnection")
    assert len(rows) == 1
    assert PASSWORD not in repr(rows)
    assert PASSWORD not in repr(raw_rows("jobs_job"))
    stored = SqlConnection.objects.get()
    # A Fernet token under the configured key: it opens to the whole URL, and under no other key.
    keys = settings.INDUS_CREDENTIALS_KEYS
    assert Fernet(keys[0]).decrypt(stored.encrypted_url.encode()).decode() == URL
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(stored.encrypted_url.encode())


def test_plain_urls_stored_before_are_encrypted_by_the_migration(dataset, user):
    executor = MigrationExecutor(connection)
    executor.migrate([("datasets", "0003_dataset_import_facts")])
    old_apps = executor.loader.project_state([("datasets", "0003_dataset_import_facts")]).apps
    OldConnection = old_apps.get_model("datasets", "SqlConnection")
    plain = OldConnection.objects.create(dataset_id=dataset.pk, url=URL, created_by_id=user.pk)
    assert PASSWORD in repr(raw_rows("datasets_sqlconnection"))  # the attack's starting point

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert PASSWORD not in repr(raw_rows("datasets_sqlconnection"))
    migrated = SqlConnection.objects.get(pk=plain.pk)
    assert migrated.shown_url == "postgresql+psycopg://reader:***@db.invalid:5432/sales"
    assert (migrated.dataset_id, migrated.created_by_id) == (dataset.pk, user.pk)  # nothing else changed
    assert sql_connection_url(connection=migrated).render_as_string(hide_password=False) == URL


@pytest.fixture
def sqlite_source(tmp_path, settings):
    with sqlite3.connect(tmp_path / "sales.sqlite3") as db:
        db.execute("CREATE TABLE sales (id INTEGER)")
        db.execute("INSERT INTO sales VALUES (1)")
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = [str(tmp_path)]
    return f"sqlite:///{tmp_path / 'sales.sqlite3'}"


def test_keys_rotate_without_losing_a_stored_url(live_server, dataset, settings, sqlite_source):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.INDUS_CREDENTIALS_KEYS = [old]
    editor = member(live_server.url, dataset, "ed")
    kept = editor.from_sql(sqlite_source, "SELECT id FROM sales", keep_credentials=True).json()["id"]
    lost = editor.from_sql(sqlite_source, "SELECT id FROM sales", keep_credentials=True).json()["id"]

    # The old key removed too early: the import fails and says why.
    settings.INDUS_CREDENTIALS_KEYS = [new]
    execute_job(job_id=lost, worker="test-worker")
    assert Job.objects.get(pk=lost).error.startswith("the stored connection URL cannot be decrypted")

    # The new key first, the old one after it; rotated, then the old one removed.
    settings.INDUS_CREDENTIALS_KEYS = [new, old]
    call_command("rotate_sql_credentials")
    settings.INDUS_CREDENTIALS_KEYS = [new]
    execute_job(job_id=kept, worker="test-worker")
    job = Job.objects.get(pk=kept)
    assert job.state == "succeeded", job.error


@pytest.mark.parametrize("keys,message", [
    ([], "INDUS_CREDENTIALS_KEYS names no key"),
    (["not-a-key"], "key #1 of INDUS_CREDENTIALS_KEYS is not a Fernet key"),
    ([Fernet.generate_key().decode(), "c2hvcnQ="], "key #2 of INDUS_CREDENTIALS_KEYS is not a Fernet key"),
])
def test_a_malformed_credentials_key_stops_the_system_check(settings, keys, message):
    """Found at start (`check`, which `migrate` and the servers run), not as a 500 on the first
    SQL import or a crash half-way through migration 0004."""
    from django.core.management.base import SystemCheckError

    settings.INDUS_CREDENTIALS_KEYS = keys
    with pytest.raises(SystemCheckError, match=message):
        call_command("check")
    settings.INDUS_CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    call_command("check")
