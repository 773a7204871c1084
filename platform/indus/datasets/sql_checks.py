"""What an SQL import's URL and query must be, checked when the import is submitted.

The query check is textual (string literals, quoted names and comments are masked first) and
only the first line of defence: the import also runs in a read-only session where the
database supports one (see `sql_import`).
"""
import re
from pathlib import Path

from django.conf import settings
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from indus.core.errors import field_error

READ_ONLY_STARTS = ("select", "with")
# Words that make a SELECT or WITH write or lock: data-modifying CTEs, SELECT INTO (makes a
# table), FOR UPDATE, and statements that have no business inside a query.
WRITE_WORDS = frozenset({
    "insert", "update", "delete", "merge", "upsert", "into", "create", "drop", "alter", "truncate",
    "grant", "revoke", "attach", "detach", "pragma", "copy", "vacuum", "call", "exec", "execute",
})
MASKED = re.compile(
    r"""--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\$(\w*)\$.*?\$\1\$""",
    re.DOTALL,
)
UNTERMINATED = re.compile(r"""/\*|'|"|`|\$\w*\$""")


def checked_read_only_query(query: str) -> str:
    """The query without trailing semicolons, or a ValidationError on field `query`."""
    masked = MASKED.sub(" ", query)
    if UNTERMINATED.search(masked):
        raise field_error("query", "the query has an unterminated string, quoted name or comment")
    statement = masked.strip().rstrip(";").strip()
    if not statement:
        raise field_error("query", "the query is empty", code="required")
    if ";" in statement:
        raise field_error("query", "give a single statement: this query has several, separated by ';'",
                          code="multiple_statements")
    words = re.findall(r"[a-z_]+", statement.lower())
    if not words or words[0] not in READ_ONLY_STARTS:
        first = words[0].upper() if words else statement.split()[0]
        raise field_error("query", f"only a read-only query can be imported: it must start with SELECT or WITH, "
                                   f"not {first}", code="not_read_only")
    first_write = next((word for word in words if word in WRITE_WORDS), None)
    if first_write:
        raise field_error("query", f"only a read-only query can be imported: it contains {first_write.upper()}",
                          code="not_read_only")
    return query.strip().rstrip(";").rstrip()


# Spellings people write for PostgreSQL (the scheme of DATABASE_URL, SQLAlchemy's default
# driver, which is not installed) mean the driver that is: psycopg 3.
POSTGRESQL_SCHEMES = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}


def checked_url(raw_url: str) -> URL:
    """A URL whose dialect and driver this installation has, that reads no file outside the
    allowed folders and is not the platform's own database; else a ValidationError on `url`."""
    try:
        url = make_url(raw_url.strip())
    except (ArgumentError, ValueError):
        # The text is not repeated: it may hold a password.
        raise field_error("url", "not an SQLAlchemy URL; write it as dialect+driver://user:password@host/database, "
                                 "e.g. postgresql+psycopg://reader@db.example.com/sales") from None
    url = url.set(drivername=POSTGRESQL_SCHEMES.get(url.drivername, url.drivername))
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise field_error("url", f"unknown database dialect {url.drivername!r}", code="unknown_dialect") from None
    except ImportError:
        raise field_error("url", f"the driver for {url.drivername!r} is not installed on this server",
                          code="driver_missing") from None
    if url.get_backend_name() == "sqlite":
        _check_sqlite_file(url)
    if _is_platform_database(url):
        raise field_error("url", "the platform's own database cannot be imported", code="forbidden")
    return url


def _sqlite_path(url: URL) -> Path | None:
    database = url.database or ""
    return None if database in ("", ":memory:") else Path(database).resolve()


def _check_sqlite_file(url: URL) -> None:
    path = _sqlite_path(url)
    if path is None:
        return
    allowed = [Path(folder).resolve() for folder in settings.INDUS_SQL_IMPORT_SQLITE_DIRS]
    if url.query.get("uri") or not any(path.is_relative_to(folder) for folder in allowed):
        folders = ", ".join(map(str, allowed)) or "none are configured"
        raise field_error("url", f"SQLite files can be imported only from the folders in "
                                 f"INDUS_SQL_IMPORT_SQLITE_DIRS ({folders})", code="forbidden")
    if not path.is_file():
        raise field_error("url", f"there is no SQLite file {path.name!r} in the allowed folders", code="not_found")


def _is_platform_database(url: URL) -> bool:
    own = settings.DATABASES["default"]
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        return path is not None and own["ENGINE"].endswith("sqlite3") and path == Path(own["NAME"]).resolve()
    return (url.host or "localhost", url.database) == (own.get("HOST") or "localhost", own.get("NAME")) and (
        url.port is None or str(url.port) == str(own.get("PORT") or url.port)
    )
