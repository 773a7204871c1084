"""What an SQL import may reach, attacked through the live API.

The attacks this reproduces: `sqlite://` and `sqlite:///:memory:` were accepted with no
folder allowed, letting a query compute on the worker; an import could aim the worker at
loopback, link-local (cloud metadata) and the platform's own services; and the platform's own
database passed the check when its address was written another way. Each is now a 400 on
field `url` that says why, and nothing is stored.
"""
import os
import socket
import sqlite3
from pathlib import Path

import pytest
from django.db import connection

from indus.datasets import sql_checks
from indus.jobs.models import Job
from tests.security.sql_members import member, refusal, stored_state

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def editor(live_server, dataset):
    return member(live_server.url, dataset, "ed")


@pytest.fixture
def resolver(monkeypatch):
    """Names the test maps resolve to the address it gives (None: to nothing), as the driver's
    resolver would find them; other names as the system resolves them. Platform lookups start
    afresh."""
    names: dict[str, str | None] = {}
    system = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            return system(host, port, *args, **kwargs)
        if names[host] is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (names[host], port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(sql_checks, "_platform_lookups", {})
    return names


@pytest.fixture
def sqlite_folder(tmp_path, settings):
    """A folder SQL imports may read, holding one SQLite file."""
    with sqlite3.connect(tmp_path / "sales.sqlite3") as db:
        db.execute("CREATE TABLE sales (id INTEGER)")
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = [str(tmp_path)]
    return tmp_path


def assert_refused(response, before, *words, code="forbidden"):
    status, field, error_code, message = refusal(response)
    assert (status, field, error_code) == (400, "url", code), message
    for word in words:
        assert word in message
    assert stored_state() == before


IN_MEMORY = ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:", "sqlite:///file::memory:?uri=true",
             "sqlite:///file:scratch?mode=memory&cache=shared&uri=true", "sqlite:///file:scratch?mode=memory"]


@pytest.mark.parametrize("url", IN_MEMORY)
def test_in_memory_and_uri_sqlite_is_refused_when_no_folder_is_allowed(editor, settings, url):
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = []
    before = stored_state()
    assert_refused(editor.from_sql(url), before, "INDUS_SQL_IMPORT_SQLITE_DIRS", "names none")


@pytest.mark.parametrize("url", IN_MEMORY)
def test_in_memory_and_uri_sqlite_is_refused_even_with_a_folder_allowed(editor, sqlite_folder, url):
    before = stored_state()
    assert_refused(editor.from_sql(url), before, "in-memory databases and URI filenames are refused")


def test_a_file_in_an_allowed_folder_is_accepted_by_its_absolute_path(editor, sqlite_folder):
    relative = os.path.relpath(sqlite_folder / "sales.sqlite3")
    assert_refused(editor.from_sql(f"sqlite:///{relative}"), stored_state(), "absolute path")
    response = editor.from_sql(f"sqlite:///{sqlite_folder}/./sales.sqlite3", "SELECT id FROM sales")
    assert response.status_code == 201, response.text
    assert Job.objects.get(pk=response.json()["id"]).spec["url"] == f"sqlite:///{sqlite_folder / 'sales.sqlite3'}"


@pytest.mark.parametrize("host", [
    "127.0.0.1", "localhost", "LOCALHOST.", "127.1", "2130706433", "0x7f.0.0.1", "[::1]", "[::ffff:127.0.0.1]",
    "0.0.0.0", "169.254.169.254", "[fe80::1]",
])
def test_loopback_and_link_local_are_refused_however_written(editor, host):
    before = stored_state()
    response = editor.from_sql(f"postgresql+psycopg://reader:pw@{host}:5432/sales")
    assert_refused(response, before, "imports may not reach", "INDUS_SQL_IMPORT_ALLOWED_HOSTS")


@pytest.mark.parametrize("query", ["host=/var/run/postgresql", "host=127.0.0.1", "hostaddr=127.0.0.1",
                                   "service=platform", "passfile=/etc/passwd", "HOST=10.0.0.1&dbname=indus",
                                   # keys no deny-list named: libpq's options turn the read-only session off
                                   "options=-c%20default_transaction_read_only%3Doff", "krbsrvname=platform",
                                   "requiressl=1&sslmode=require"])
def test_query_string_keys_other_than_the_dialects_own_few_are_refused(editor, query):
    before = stored_state()
    response = editor.from_sql(f"postgresql+psycopg://reader:pw@db.invalid/sales?{query}")
    assert_refused(response, before, "in the URL itself", f"?{query.split('=')[0].lower()}=",
                   "may set only application_name, client_encoding, connect_timeout, sslmode")


def test_the_query_string_keys_a_dialect_allows_are_accepted(editor):
    url = "postgresql+psycopg://reader:pw@10.1.2.3/sales?sslmode=require&connect_timeout=5&application_name=indus"
    assert editor.from_sql(url).status_code == 201


@pytest.mark.parametrize("url", ["postgresql+psycopg://reader@/sales", "postgresql+psycopg://reader@%2Fvar%2Frun/sales"])
def test_a_local_socket_is_refused(editor, url):
    before = stored_state()
    assert_refused(editor.from_sql(url), before, "name the database server's host", "local socket")


def test_the_platforms_own_services_are_refused_by_address(editor, settings):
    settings.CELERY_BROKER_URL = "redis://10.20.30.40:6379/0"
    before = stored_state()
    assert_refused(editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.40:5432/sales"), before,
                   "imports may not reach 10.20.30.40")
    # another address of the same private network is the operator's database, not the platform's
    assert editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.41:5432/sales").status_code == 201


def test_an_allowed_network_does_not_open_the_platforms_services_inside_it(editor, settings, resolver):
    resolver.update({"redis.invalid": "10.20.30.40", "results.invalid": "10.20.30.50"})
    settings.CELERY_BROKER_URL = "redis://redis.invalid:6379/0"
    settings.CELERY_RESULT_BACKEND = "redis://results.invalid:6379/1"
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = ["10.0.0.0/8"]
    before = stored_state()
    for address in ("10.20.30.40", "10.20.30.50"):
        assert_refused(editor.from_sql(f"postgresql+psycopg://reader:pw@{address}:6379/sales"), before,
                       f"imports may not reach {address}")
    assert editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.41/sales").status_code == 201
    # The operator may still list that very address: then it is their choice.
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = ["10.0.0.0/8", "10.20.30.40"]
    assert editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.40/sales").status_code == 201


def test_platform_addresses_are_looked_up_again_and_a_failed_lookup_refuses(editor, settings, resolver, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://redis.invalid:6379/0"
    resolver["redis.invalid"] = None
    before = stored_state()
    assert_refused(editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.40/sales"), before,
                   "'redis.invalid' does not resolve", code="platform_unresolved")
    # The failure was not remembered: the next import looks the host up again.
    resolver["redis.invalid"] = "10.20.30.40"
    assert_refused(editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.40/sales"), before,
                   "imports may not reach 10.20.30.40")
    # The broker moves: its old address is refused until the lookup is PLATFORM_ADDRESSES_SECONDS old.
    resolver["redis.invalid"] = "10.20.30.99"
    assert_refused(editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.40/sales"), before, "10.20.30.40")
    monkeypatch.setattr(sql_checks, "PLATFORM_ADDRESSES_SECONDS", 0.0)
    assert editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.40/sales").status_code == 201
    assert_refused(editor.from_sql("postgresql+psycopg://reader:pw@10.20.30.99/sales"), stored_state(),
                   "imports may not reach 10.20.30.99")


@pytest.mark.parametrize("setting,scheme", [("CELERY_BROKER_URL", "sqla+sqlite"), ("CELERY_RESULT_BACKEND", "db+sqlite")])
def test_the_embedded_brokers_sqlite_files_are_refused_however_they_are_reached(editor, settings, sqlite_folder,
                                                                              setting, scheme):
    own = sqlite_folder / "celery.sqlite3"
    with sqlite3.connect(own) as db:
        db.execute("CREATE TABLE kombu_message (id INTEGER)")
    setattr(settings, setting, f"{scheme}:///{own}")
    os.link(own, sqlite_folder / "linked.sqlite3")  # another path, the same file
    before = stored_state()
    for path in (own, sqlite_folder / "linked.sqlite3"):
        assert_refused(editor.from_sql(f"sqlite:///{path}", "SELECT id FROM kombu_message"), before,
                       "the platform's own database")
    assert editor.from_sql(f"sqlite:///{sqlite_folder / 'sales.sqlite3'}", "SELECT id FROM sales").status_code == 201


def test_the_allow_list_is_the_operators_choice(editor, settings):
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = ["10.0.0.0/8", "127.0.0.1", "localhost"]
    assert editor.from_sql("postgresql+psycopg://reader:pw@10.1.2.3/sales").status_code == 201
    assert editor.from_sql("postgresql+psycopg://reader:pw@127.0.0.1/sales").status_code == 201
    before = stored_state()
    assert_refused(editor.from_sql("postgresql+psycopg://reader:pw@192.0.2.10/sales"), before, "192.0.2.10")
    # A listed name still reaches only addresses the default allows, or that are listed: `localhost`
    # resolves to ::1 as well as 127.0.0.1 here, and ::1 is not listed.
    response = editor.from_sql("postgresql+psycopg://reader:pw@localhost/sales")
    if any(":" in address for address in _addresses("localhost")):
        assert_refused(response, before, "imports may not reach localhost")
    else:
        assert response.status_code == 201


def _addresses(host: str) -> set[str]:
    return {entry[4][0] for entry in socket.getaddrinfo(host, None)}


def own_database_spellings(own: dict) -> list[str]:
    """The platform's own database, its address written every way that reaches it."""
    if own["ENGINE"].endswith("sqlite3"):
        path = Path(own["NAME"])
        return [f"sqlite:///{path}", f"sqlite:///{path.parent}//{path.name}", f"sqlite:///{path.parent}/./{path.name}",
                f"sqlite:///{path.parent}/../{path.parent.name}/{path.name}"]
    user, port, name = own["USER"], own["PORT"] or 5432, own["NAME"]
    hosts = {own["HOST"] or "localhost", "LOCALHOST.", "127.0.0.1", "127.1", "[::ffff:127.0.0.1]", "0.0.0.0"}
    return ([f"postgresql+psycopg://{user}@{host}:{port}/{name}" for host in sorted(hosts)]
            + [f"postgres://{user}@localhost:{port}/{name.upper()}", f"postgresql://{user}@127.0.0.1:{port}/"])


def test_the_platforms_own_database_is_recognised_however_its_address_is_written(editor, settings):
    # Everything that could reach it is allowed, so that only the own-database check can refuse.
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = ["127.0.0.0/8", "::1", "0.0.0.0", "*"]
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = ["/"]
    before = stored_state()
    for url in own_database_spellings(connection.settings_dict):
        assert_refused(editor.from_sql(url, "SELECT * FROM tenancy_apitoken"), before, "the platform's own database")


def test_the_own_database_written_with_a_host_parameter_is_refused(editor, settings):
    settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS = ["*", "127.0.0.0/8"]
    own = connection.settings_dict
    before = stored_state()
    response = editor.from_sql(f"postgresql+psycopg://reader@db.invalid/{own['NAME']}?host={own['HOST'] or 'localhost'}")
    assert_refused(response, before, "?host=")


def test_the_url_is_resolved_before_the_transaction_opens(editor, monkeypatch):
    """A slow resolver (up to LOOKUP_SECONDS a name) holds no transaction, nor its locks."""
    in_transaction = []
    resolved = sql_checks._resolved

    def watched(*args, **kwargs):
        in_transaction.append(connection.in_atomic_block)
        return resolved(*args, **kwargs)

    monkeypatch.setattr(sql_checks, "_resolved", watched)
    assert editor.from_sql("postgresql+psycopg://reader:pw@db.invalid/sales").status_code == 201
    assert in_transaction and not any(in_transaction)
