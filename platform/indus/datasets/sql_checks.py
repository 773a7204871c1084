"""What an SQL import's URL and query must be: checked when the import is submitted, and the
URL again on the worker just before it connects (see `sql_import`).

The query check is textual (string literals, quoted names and comments are masked first) and
only the first line of defence: the import also runs in a read-only session where the
database supports one.

The URL check decides what an import may reach. A member writes the URL, and the worker that
follows it sits inside the platform's network, so the check works on the address the driver
will use, not on how it is written: the host is resolved, every address it resolves to must be
allowed (INDUS_SQL_IMPORT_ALLOWED_HOSTS; by default anything but loopback, link-local and the
platform's own services), and the worker then connects to the address it checked, so a name
that resolves differently a second later reaches nothing new.
"""
import ipaddress
import os
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimedOut
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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
# Where a string literal, quoted name or comment opens; `_masked` finds where each one closes.
# A dollar quote ($$, $tag$) and an escape string (E'...') open only where a name does not go
# on: `a$b$c` is one name (PostgreSQL allows `$` in names), `name'` a name and a string.
OPENING = re.compile(r"""--|/\*|(?<![\w$])[eE]'|'|"|`|(?<![\w$])\$(?:[A-Za-z_]\w*)?\$""")
# The rest of an escape string: a backslash escapes the next character (E'\'' holds a quote).
ESCAPE_STRING_REST = re.compile(r"(?:[^'\\]|\\.|'')*'", re.DOTALL)


def checked_read_only_query(query: str) -> str:
    """The query without trailing semicolons, or a ValidationError on field `query`."""
    statement = _masked(query).strip().rstrip(";").strip()
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


def _masked(query: str) -> str:
    """The query with each string literal, quoted name and comment replaced by a space.

    One pass from left to right: each opening is followed by a search for its closing from
    there on, and the scan resumes after it, so no character is looked at twice and the work is
    linear in the query's length. (A regular expression of the alternatives, retried after
    every unclosed opening of a run such as `/* /* /* ...`, was quadratic.)
    """
    pieces = []
    position = 0
    while opening := OPENING.search(query, position):
        pieces.append(query[position:opening.start()])
        position = _closing(query, opening)
        pieces.append(" ")
    pieces.append(query[position:])
    return "".join(pieces)


def _closing(query: str, opening: re.Match) -> int:
    """Where the literal, quoted name or comment that `opening` starts ends (just after it)."""
    token, start = opening.group(), opening.end()
    if token == "--":
        end = query.find("\n", start)
        return len(query) if end < 0 else end
    if token in ("e'", "E'"):
        rest = ESCAPE_STRING_REST.match(query, start)
        if rest is None:
            raise field_error("query", "the query has an unterminated string, quoted name or comment")
        return rest.end()
    if token in ("'", '"'):
        # The quote doubled inside ('it''s') is part of the text.
        while (end := query.find(token, start)) >= 0 and query.startswith(token, end + 1):
            start = end + 2
        closing_length = 1
    else:
        end = query.find("*/" if token == "/*" else token, start)
        closing_length = 2 if token == "/*" else len(token)
    if end < 0:
        raise field_error("query", "the query has an unterminated string, quoted name or comment")
    return end + closing_length


# Spellings people write for PostgreSQL (the scheme of DATABASE_URL, SQLAlchemy's default
# driver, which is not installed) mean the driver that is: psycopg 3.
POSTGRESQL_SCHEMES = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
# The query-string keys a URL may set, by dialect: how to talk to the server, never which
# server, socket or database (libpq's host, hostaddr, service; MySQL's unix_socket...) nor a file
# on the worker to read (passfile, sslkey, read_default_file...). The check and the connection
# must see one address, and a driver's next release may add a key that chooses another: so
# the keys are allowed by name, not refused by name.
QUERY_KEYS = {
    "postgresql": frozenset({"sslmode", "connect_timeout", "application_name", "client_encoding"}),
    "mysql": frozenset({"charset", "connect_timeout"}),
    "mariadb": frozenset({"charset", "connect_timeout"}),
    "mssql": frozenset({"driver", "encrypt", "trustservercertificate"}),
}
LOOKUP_SECONDS = 5.0
# A host name or an IP address; anything else (a socket's path, an escaped one) is refused.
HOST_NAME = re.compile(r"[a-z0-9_.-]+|[0-9a-f:.]+")


@dataclass(frozen=True)
class Destination:
    """A checked URL and, for a database server, the addresses it resolved to (all allowed):
    the worker connects to the first of them."""

    url: URL
    addresses: tuple[str, ...] = ()


def checked_url(raw_url: str) -> URL:
    """A URL this installation can follow and may reach (see `checked_destination`), else a
    ValidationError on `url`. Called when the import is submitted."""
    return checked_destination(raw_url, resolve_timeout=LOOKUP_SECONDS).url


def checked_destination(raw_url: str, *, resolve_timeout: float) -> Destination:
    """The URL's dialect and driver are installed; a SQLite file lies in an allowed folder; a
    server's host resolves only to allowed addresses; and it is not the platform's own database.
    A host that does not resolve (within `resolve_timeout`) passes with no address: the worker
    cannot connect to it, and says so in the same words as for any other failed connection."""
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
        return Destination(url=_checked_sqlite_file(url))
    return _checked_server(url, resolve_timeout=resolve_timeout)


# --- SQLite ---------------------------------------------------------------------------------


def _checked_sqlite_file(url: URL) -> URL:
    """The URL naming the file by its resolved absolute path, so the worker opens the file
    that was checked whatever its working folder. In-memory databases and URI filenames
    (`file:...?mode=memory`, `?uri=true`) are refused: they read no data, only let a query
    compute on the worker."""
    allowed = [Path(folder).resolve() for folder in settings.INDUS_SQL_IMPORT_SQLITE_DIRS]
    where = ("the folders in INDUS_SQL_IMPORT_SQLITE_DIRS (" + ", ".join(map(str, allowed)) + ")"
             if allowed else "a folder named in INDUS_SQL_IMPORT_SQLITE_DIRS, and this server names none")
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or "uri" in url.query:
        raise field_error("url", f"an SQLite import reads a file: give its absolute path, under {where}; "
                                 "in-memory databases and URI filenames are refused", code="forbidden")
    if not Path(database).is_absolute():
        raise field_error("url", "give the SQLite file's absolute path: sqlite:////folder/file.sqlite3",
                          code="forbidden")
    path = Path(database).resolve()
    if not any(path.is_relative_to(folder) for folder in allowed):
        raise field_error("url", f"SQLite files can be imported only from {where}", code="forbidden")
    if not path.is_file():
        raise field_error("url", f"there is no SQLite file {path.name!r} in the allowed folders", code="not_found")
    if _file_identity(path) in {_file_identity(own) for own in _platform_sqlite_files()}:
        raise field_error("url", "the platform's own database cannot be imported", code="forbidden")
    return url.set(database=str(path))


def _platform_sqlite_files() -> set[Path]:
    """The platform's own SQLite files: its databases, and the embedded broker's and result
    backend's (`sqla+sqlite:///...`, `db+sqlite:///...`), which hold every job's messages."""
    files = {database["NAME"] for database in settings.DATABASES.values()
             if database["ENGINE"].endswith("sqlite3") and database.get("NAME")}
    for service_url in (settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND):
        scheme, _, rest = (service_url or "").partition("://")
        if scheme.split("+")[-1] == "sqlite" and rest.startswith("/"):
            files.add(rest[1:].split("?")[0])
    return {Path(name) for name in files if name and name != ":memory:"}


def _file_identity(path: Path) -> tuple[int, int] | None:
    """The file's device and inode: the same file however its path is written (a hard link,
    a symbolic link, a bind mount of its folder). None for a file that is not there."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


# --- Database servers -----------------------------------------------------------------------

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _checked_server(url: URL, *, resolve_timeout: float) -> Destination:
    allowed_keys = QUERY_KEYS.get(url.get_backend_name(), frozenset())
    other_keys = sorted({key.lower() for key in url.query} - allowed_keys)
    if other_keys:
        may_set = f"may set only {', '.join(sorted(allowed_keys))}" if allowed_keys else "may set nothing"
        raise field_error("url", f"give the server and database in the URL itself (host, port and path); a "
                                 f"{url.get_backend_name()} URL's query {may_set}, "
                                 f"not {', '.join(f'?{key}=' for key in other_keys)}", code="forbidden")
    host = _normalised_host(url.host)
    if not HOST_NAME.fullmatch(host):
        raise field_error("url", "name the database server's host: dialect+driver://user@host/database "
                                 "(a local socket is not reachable from an import)", code="forbidden")
    port = url.port or DEFAULT_PORTS.get(url.get_backend_name())
    url = url.set(host=host)
    addresses = _resolved(host, port, timeout=resolve_timeout)
    if _is_platform_database(url, port, addresses):
        raise field_error("url", "the platform's own database cannot be imported", code="forbidden")
    refused = [address for address in addresses if not _may_reach(address, host)]
    if refused:
        raise field_error("url", f"imports may not reach {host}: it is a loopback, link-local or platform "
                                 f"address, or not in INDUS_SQL_IMPORT_ALLOWED_HOSTS", code="forbidden")
    return Destination(url=url, addresses=tuple(str(address) for address in addresses))


def _normalised_host(host: str | None) -> str:
    """One spelling per name: lower case, no trailing dot, no IPv6 brackets."""
    return (host or "").strip().strip("[]").rstrip(".").lower()


def _resolved(host: str, port: int | None, *, timeout: float) -> list[IpAddress]:
    """Every address `host` resolves to, as the driver's resolver would find them; none when it
    does not resolve in time. `127.1`, `0x7f.0.0.1` and `2130706433` resolve like 127.0.0.1."""
    executor = ThreadPoolExecutor(max_workers=1)
    lookup = executor.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        found = lookup.result(timeout=max(timeout, 0.1))
    except (OSError, UnicodeError, LookupTimedOut):
        return []
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    return sorted({_plain(ipaddress.ip_address(entry[4][0].split("%")[0])) for entry in found}, key=str)


def _plain(address: IpAddress) -> IpAddress:
    """An IPv4 address written as IPv6 (::ffff:127.0.0.1) is that IPv4 address."""
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _may_reach(address: IpAddress, host: str) -> bool:
    """A listed address or network may be reached, loopback included: the operator chose it;
    but a platform address (its broker, its S3 endpoint) only if that very address is listed,
    not a network around it (`10.0.0.0/8` lists a private network, not the Redis inside it).
    Any other address may be reached only if it is not a loopback, link-local, unspecified,
    multicast or platform address, and only for a listed name (or any name, while the list is
    empty or holds `*`)."""
    allowed = allowed_hosts()
    # (An IPv4 address "in" an IPv6 network compares bits of different families: never.)
    listed_in = [network for network in allowed.networks if address.version == network.version and address in network]
    if listed_in:
        return address not in platform_addresses() or any(network.num_addresses == 1 for network in listed_in)
    name_allowed = allowed.any_name or any(
        host == name or (name.startswith(".") and host.endswith(name)) for name in allowed.names
    )
    return name_allowed and not (
        address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast
        or address in platform_addresses()
    )


@dataclass(frozen=True)
class AllowedHosts:
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    names: tuple[str, ...]  # exact names, and `.example.com` for a domain's names
    any_name: bool


def allowed_hosts() -> AllowedHosts:
    entries = [entry.strip().lower() for entry in settings.INDUS_SQL_IMPORT_ALLOWED_HOSTS if entry.strip()]
    networks, names = [], []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.append(_normalised_host(entry) if not entry.startswith(".") else entry.rstrip("."))
    return AllowedHosts(networks=tuple(networks), names=tuple(name for name in names if name != "*"),
                        any_name=not entries or "*" in names)


# How long a platform host's addresses are trusted before they are looked up again: a service
# moved to another address (a container restarted) is known by its new one within this time.
PLATFORM_ADDRESSES_SECONDS = 300.0
_platform_lookups: dict[str, tuple[float, frozenset[IpAddress]]] = {}
_platform_lookups_lock = threading.Lock()


def platform_addresses() -> frozenset[IpAddress]:
    """The addresses of the platform's own services (its databases, broker, result backend,
    S3 endpoint) and of this machine, each looked up again after PLATFORM_ADDRESSES_SECONDS.
    A failed lookup is not remembered, and while a service's host does not resolve no address
    can be told apart from it: the import is refused (see `_platform_host_addresses`)."""
    found = set(_machine_addresses())
    for host in sorted(_platform_hosts()):
        found |= _platform_host_addresses(host)
    return frozenset(found)


def _platform_hosts() -> set[str]:
    hosts = {database.get("HOST") or "localhost" for database in settings.DATABASES.values()
             if not database["ENGINE"].endswith("sqlite3")}
    endpoint = settings.STORAGES.get("artifacts", {}).get("OPTIONS", {}).get("endpoint_url")
    for service_url in (settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND, endpoint):
        try:
            hosts.add(urlsplit(service_url or "").hostname or "")
        except ValueError:
            continue
    return {_normalised_host(host) for host in hosts if host and not host.startswith("/")}


def _platform_host_addresses(host: str) -> frozenset[IpAddress]:
    """`host`'s addresses, remembered for PLATFORM_ADDRESSES_SECONDS once found; a
    ValidationError on `url` while it does not resolve."""
    addresses = _remembered_lookup(host)
    if not addresses:
        raise field_error("url", f"the platform's own service host {host!r} does not resolve just now, so no "
                                 "address can be told apart from it; try the import again later",
                          code="platform_unresolved")
    return addresses


def _machine_addresses() -> frozenset[IpAddress]:
    """This machine's addresses by its host name; none where the name does not resolve (common
    in containers: loopback, refused anyway, is then the only way to reach it by name)."""
    return _remembered_lookup(socket.gethostname())


def _remembered_lookup(host: str) -> frozenset[IpAddress]:
    now = time.monotonic()
    with _platform_lookups_lock:
        remembered = _platform_lookups.get(host)
    if remembered and now - remembered[0] < PLATFORM_ADDRESSES_SECONDS:
        return remembered[1]
    addresses = frozenset(_resolved(host, None, timeout=LOOKUP_SECONDS))
    if addresses:  # a failure is looked up again next time, not remembered
        with _platform_lookups_lock:
            _platform_lookups[host] = (now, addresses)
    return addresses


def _is_platform_database(url: URL, port: int | None, addresses: list[IpAddress]) -> bool:
    """Whether the URL reaches one of the platform's own databases, however its address is
    written: the same server (an address in common; any loopback or unspecified address, or one
    of this machine's, stands for every other when the database is local), the same port and
    the same database name, compared without case (or no name at all: the server's default)."""
    reached = set(addresses)
    for own in settings.DATABASES.values():
        if own["ENGINE"].endswith("sqlite3"):
            continue
        own_port = int(own.get("PORT") or DEFAULT_PORTS.get(url.get_backend_name()) or 0)
        own_host = own.get("HOST") or "localhost"
        own_addresses = set() if own_host.startswith("/") else set(_platform_host_addresses(_normalised_host(own_host)))
        if own_host.startswith("/") or _this_machine(own_addresses):
            own_addresses |= _this_machine(reached)
        same_name = not url.database or url.database.casefold() == str(own.get("NAME") or "").casefold()
        if reached & own_addresses and (port or 0) == own_port and same_name:
            return True
    return False


def _this_machine(addresses: set[IpAddress]) -> set[IpAddress]:
    """Those of `addresses` that reach this machine itself."""
    return {address for address in addresses
            if address.is_loopback or address.is_unspecified or address in _machine_addresses()}
