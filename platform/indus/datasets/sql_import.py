"""The `sql_import` job: a read-only query's rows, snapshotted to Parquet as a new version.

It runs on a `cpu` worker. The stored URL is decrypted, checked again against this worker's
settings, and followed to the address the check resolved (so a name that resolves elsewhere a
moment later reaches nothing new). Rows stream from the database (a server-side cursor where
the driver has one) a few at a time, into record batches bounded both in rows and in bytes,
so memory stays flat for any row count and any row width; a value or a row too large to fit
fails the job and says which. The session is read-only where the database allows it.

The time limit bounds the whole job: the connection attempt (the driver's connect timeout),
the query (PostgreSQL's statement_timeout and a cancel sent at the deadline, MySQL's
max_execution_time, SQLite's progress handler) and the wait between fetches. The URL's
password never reaches a log or an error, and a failed connection reads the same to a member
whatever the reason (refused, unreachable, timed out, no such host), so that imports cannot
map the network; the database's own reason goes to the worker's log.
"""
import logging
import math
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyarrow as pa
from django.conf import settings
from django.core.exceptions import ValidationError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Result
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from indus.datasets import snapshots
from indus.datasets.models import Dataset, DatasetVersion, SqlConnection
from indus.datasets.readers import ReadLimits
from indus.datasets.sql_checks import LOOKUP_SECONDS, Destination, checked_destination
from indus.datasets.sql_credentials import (
    CredentialsUnreadable,
    sql_connection_discard_after_import,
    sql_connection_url,
    sql_connections_expire,
)
from indus.jobs.execution import JobCancelled, JobContext, JobInputError
from indus.jobs.models import Job

logger = logging.getLogger(__name__)

PARTITION_ROWS = 10_000
# Columns that are all NULL in the first partitions have no type yet; this many partitions
# (or a batch budget's worth of them) are held back while waiting for one, then such a
# column becomes text.
PARTITIONS_HELD_FOR_TYPES = 8
SQLITE_PROGRESS_STEPS = 10_000
# The bytes of rows a batch holds at most. While one is built and the one before is written,
# the worker holds a few of these (Python rows, their Arrow copy, the Parquet row group).
BATCH_BYTES = 16 * 1024**2
# What one value of a fixed-width PostgreSQL type (bool, integers, floats, dates and times,
# uuid) takes at most; a value of any other type may take the import's whole value limit.
FIXED_WIDTH_BYTES = 32
POSTGRESQL_FIXED_WIDTH_TYPES = frozenset({16, 20, 21, 23, 26, 700, 701, 1082, 1083, 1114, 1184, 1186, 1266, 2950})
# The most bytes one fetch could bring if every value were as large as the import allows: a
# fetch sized from the rows seen so far is cut to this, so rows that suddenly widen are bounded.
FETCH_MAX_BYTES = 32 * BATCH_BYTES
# The driver's connect timeout is the time left, but at least libpq's shortest and at most 30 s:
# a server that has not answered in 30 s will not.
MIN_CONNECT_SECONDS, MAX_CONNECT_SECONDS = 2, 30


class QueryTimedOut(Exception):
    pass


def run_sql_import_job(context: JobContext) -> dict:
    spec = context.spec
    timeout = spec["timeout_seconds"]
    deadline = time.monotonic() + timeout
    dataset = snapshots.dataset_of_import(context)
    stored = _own_connection(context)
    try:
        destination = _destination(stored, deadline)
        return _import(context, dataset, destination, timeout=timeout, deadline=deadline)
    finally:
        sql_connection_discard_after_import(connection_id=stored.pk)


def _own_connection(context: JobContext) -> SqlConnection:
    """The stored connection, if it is still there and belongs to whoever submitted this job:
    a retry by another member never uses the first one's credentials."""
    sql_connections_expire()
    stored = SqlConnection.objects.filter(pk=context.spec["connection_id"]).first()
    if stored is None:
        raise JobInputError("the connection URL of this import is no longer stored (it is deleted when its import "
                            "ends, unless submitted with keep_credentials, and then after "
                            f"{settings.INDUS_SQL_KEPT_CREDENTIALS_DAYS} days); submit the import again")
    submitted_by = Job.objects.values_list("created_by_id", flat=True).get(pk=context.job_id)
    if stored.created_by_id != submitted_by:
        raise JobInputError("this import's stored credentials belong to the member who first submitted it and "
                            "serve only their imports; submit the import again with your own URL")
    return stored


def _destination(stored: SqlConnection, deadline: float) -> Destination:
    try:
        url = sql_connection_url(connection=stored)
    except CredentialsUnreadable:
        raise JobInputError("the stored connection URL cannot be decrypted with this installation's "
                            "INDUS_CREDENTIALS_KEYS; submit the import again") from None
    try:
        # This worker's own settings decide, at the moment it connects.
        return checked_destination(url.render_as_string(hide_password=False),
                                   resolve_timeout=min(LOOKUP_SECONDS, _remaining(deadline)))
    except ValidationError as error:
        raise JobInputError(f"the connection URL is refused: {error.messages[0]}") from None


def _import(context: JobContext, dataset: Dataset, destination: Destination, *, timeout: int, deadline: float) -> dict:
    spec = context.spec
    url = destination.url
    if url.get_backend_name() != "sqlite" and not destination.addresses:
        # Left to the driver, the name could resolve now to an address never checked.
        logger.warning("SQL import job %s: %s did not resolve", context.job_id, url.host)
        raise JobInputError(_could_not_connect(spec["url"], timeout))
    context.report_progress(0.0, f"querying {spec['url']}")
    engine = _engine(destination, deadline)
    try:
        with _connected(engine, context, timeout=timeout) as connection, _cancelled_at(deadline, connection):
            _limit_session(connection, context, deadline=deadline)
            return _snapshot(context, connection, dataset, deadline)
    except QueryTimedOut:
        raise JobInputError(_timed_out(timeout)) from None
    except SQLAlchemyError as error:
        if time.monotonic() >= deadline or _is_statement_timeout(error):
            raise JobInputError(_timed_out(timeout)) from None
        if context.should_stop:
            raise JobCancelled() from None
        if _is_too_big(error):
            raise JobInputError(_value_too_large(ReadLimits.from_settings(), None)) from None
        raise JobInputError(f"the database refused the query: {_without_password(error, url)}") from None
    finally:
        engine.dispose()


def _remaining(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.0)


def _engine(destination: Destination, deadline: float):
    """An engine that connects to the checked address, giving up at the deadline."""
    url = destination.url
    connect_seconds = max(MIN_CONNECT_SECONDS, min(MAX_CONNECT_SECONDS, math.ceil(_remaining(deadline))))
    backend = url.get_backend_name()
    connect_args = {}
    if backend == "postgresql":
        # libpq connects to hostaddr; host still names the server for TLS and authentication.
        connect_args = {"connect_timeout": connect_seconds}
        if destination.addresses:
            connect_args["hostaddr"] = destination.addresses[0]
    elif backend != "sqlite":
        connect_args = {"connect_timeout": connect_seconds}
        if destination.addresses:
            url = url.set(host=destination.addresses[0])
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


@contextmanager
def _connected(engine, context: JobContext, *, timeout: int) -> Iterator[Connection]:
    shown_url = context.spec["url"]
    try:
        connection = engine.connect()
    except SQLAlchemyError as error:
        logger.warning("SQL import job %s could not connect to %s: %s", context.job_id, shown_url,
                       _without_password(error, engine.url))
        raise JobInputError(_could_not_connect(shown_url, timeout)) from None
    with connection:
        yield connection


def _could_not_connect(shown_url: str, timeout: int) -> str:
    """One message for every failed connection (refused, silent, no such host, login refused),
    so that imports cannot map the network; the worker's log has the reason."""
    return (f"could not connect to {shown_url} within the import's limit of {timeout} s: check the host, "
            "port, database name and credentials (the worker's log has the database's reason)")


@contextmanager
def _cancelled_at(deadline: float, connection: Connection) -> Iterator[None]:
    """At the deadline, ask PostgreSQL to cancel whatever the connection runs: its
    statement_timeout counts each fetch of a server-side cursor on its own."""
    cancel = getattr(connection.connection.driver_connection, "cancel_safe", None)
    timer = threading.Timer(_remaining(deadline), cancel) if cancel else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer:
            timer.cancel()


def _snapshot(context: JobContext, connection: Connection, dataset: Dataset, deadline: float) -> dict:
    query = context.spec["query"]
    # No yield_per: the fetches below choose their own sizes.
    result = connection.execution_options(stream_results=True).execute(text(query))
    return snapshots.store_batches(
        context,
        dataset=dataset,
        batches=_record_batches(result, deadline, ReadLimits.from_settings(), log=context.log),
        # The row count is unknown until the end: progress stays at 0 and the message counts rows.
        progress=lambda: 0.0,
        source=DatasetVersion.Source.SQL,
        source_name=query[:255],
    )


def _timed_out(timeout: int) -> str:
    return (f"the query ran longer than its limit of {timeout} s and was stopped; "
            "make it faster (filter, index) or give a larger timeout_seconds")


def _limit_session(connection: Connection, context: JobContext, *, deadline: float) -> None:
    """Make the session read-only and bound the query's time, as this database allows."""
    backend = connection.dialect.name
    milliseconds = max(int(_remaining(deadline) * 1000), 1)
    if backend == "postgresql":
        # The first statement of the transaction the query then runs in.
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        connection.exec_driver_sql(f"SET statement_timeout = {milliseconds}")
    elif backend in ("mysql", "mariadb"):
        # SET starts no transaction here: the query's, which follows, is read-only.
        connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        connection.exec_driver_sql(f"SET SESSION max_execution_time = {milliseconds}")
    elif backend == "sqlite":
        raw = connection.connection.driver_connection
        raw.execute("PRAGMA query_only = ON")
        # SQLite itself refuses to make a string or blob larger than an import takes
        # (zeroblob(10**9) would otherwise be built in the worker's memory).
        raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, ReadLimits.from_settings().max_value_bytes)
        # Called every N virtual-machine steps; a true value interrupts the query.
        raw.set_progress_handler(lambda: time.monotonic() >= deadline or context.should_stop, SQLITE_PROGRESS_STEPS)


def _is_statement_timeout(error: SQLAlchemyError) -> bool:
    original = getattr(error, "orig", None)
    return isinstance(error, DBAPIError) and (
        getattr(original, "sqlstate", None) == "57014"  # PostgreSQL: query_canceled
        or "max_execution_time" in str(original)
        or str(original) == "interrupted"  # SQLite's progress handler stopped it
    )


def _is_too_big(error: SQLAlchemyError) -> bool:
    """SQLite refused to make a value over its length limit (SQLITE_TOOBIG)."""
    return "string or blob too big" in str(getattr(error, "orig", None) or error)


def _without_password(error: SQLAlchemyError, url) -> str:
    message = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if url.password:
        message = message.replace(str(url.password), "***")
    return message[:500]


def _record_batches(
    result: Result, deadline: float, limits: ReadLimits, *, log: Callable[[str], None]
) -> Iterator[pa.RecordBatch]:
    names = list(result.keys())
    without_scale = _columns_without_declared_scale(result)
    batches = _arrow_batches(_bounded_partitions(result, deadline, limits, names), names)
    held, held_bytes = [], 0
    for batch in batches:
        held.append(batch)
        held_bytes += batch.nbytes
        if (len(held) >= PARTITIONS_HELD_FOR_TYPES or held_bytes >= BATCH_BYTES
                or not _has_untyped_columns(held)):
            break
    if not held:
        raise JobInputError("the query returned no rows")
    inferred = _unified(held)
    schema = pa.schema([_widened(field, scale_declared=field.name not in without_scale) for field in inferred])
    for first, stored in zip(inferred, schema):
        if pa.types.is_decimal(first.type) and not pa.types.is_decimal(stored.type):
            log(f"column {first.name!r} has no declared scale: stored as float64; "
                "CAST it to numeric(precision, scale) in the query to keep exact decimals")
    rows_before = 0
    while held:  # given away one by one, so that a written batch is freed
        batch = held.pop(0)
        yield _cast(batch, schema, rows_before)
        rows_before += batch.num_rows
    for batch in batches:
        yield _cast(batch, schema, rows_before)
        rows_before += batch.num_rows


def _columns_without_declared_scale(result: Result) -> set[str]:
    """Columns whose scale the driver's cursor description (PEP 249: name first, scale sixth)
    gives as None: PostgreSQL's bare `numeric` and numeric expressions. It says None of
    non-numeric columns too; only decimals read it."""
    description = getattr(getattr(result, "cursor", None), "description", None) or ()
    return {column[0] for column in description if len(column) > 5 and column[5] is None}


def _widened(field: pa.Field, *, scale_declared: bool) -> pa.Field:
    """The column's type, made to fit the partitions still to come: a column still untyped
    (all NULL so far) becomes text, and a decimal takes the largest precision at its scale,
    because arrow infers each partition's precision from its own values (12.50 is decimal(4, 2),
    1250.00 decimal(6, 2)), so a later partition of larger amounts would not fit. A decimal
    without a declared scale becomes float64: its values may carry more digits later (0.5, then
    0.125) than any scale taken from the first rows could hold."""
    if pa.types.is_null(field.type):
        return field.with_type(pa.string())
    if pa.types.is_decimal(field.type) and not scale_declared:
        return field.with_type(pa.float64())
    if pa.types.is_decimal128(field.type):
        return field.with_type(pa.decimal128(38, field.type.scale))
    if pa.types.is_decimal256(field.type):
        return field.with_type(pa.decimal256(76, field.type.scale))
    return field


def _arrow_batches(partitions: Iterator[list], names: list[str]) -> Iterator[pa.RecordBatch]:
    for rows in partitions:
        batch = pa.RecordBatch.from_arrays([_column(values) for values in zip(*rows)], names=names)
        del rows  # the Python rows go before the next partition is fetched
        yield batch


def _bounded_partitions(result: Result, deadline: float, limits: ReadLimits, names: list[str]) -> Iterator[list]:
    """The result's rows in partitions of at most PARTITION_ROWS rows and BATCH_BYTES bytes,
    checked against the deadline after every fetch. The first fetch asks the driver for no
    more rows than fit a batch if every value were as large as the import allows; each later
    one for a batch's worth of rows as wide as the widest seen so far, but never more than
    FETCH_MAX_BYTES could hold at the widest possible, so what the driver holds is bounded
    before a row is seen and a fetch is a round trip for a batch, not for a few rows. The
    import limits hold as for an uploaded file: a value over `limits.max_value_bytes`, more
    rows than `limits.max_rows` or more bytes in all than `limits.max_decoded_bytes` fail the
    job, and so does a row wider than a batch."""
    widest_possible = _widest_possible_row(result, limits)
    fetch = max(1, min(PARTITION_ROWS, BATCH_BYTES // widest_possible))
    partition, partition_bytes, rows_before, total_bytes, widest_seen = [], 0, 0, 0, 1
    while True:
        rows = result.fetchmany(fetch)
        if time.monotonic() >= deadline:
            raise QueryTimedOut()
        if not rows:
            break
        if rows_before + len(rows) > limits.max_rows:
            raise JobInputError(f"the query returns more than {limits.max_rows:,} rows, the most an import takes "
                                "(INDUS_IMPORT_MAX_ROWS); filter it or import it in parts")
        for row in rows:
            rows_before += 1
            size = _row_bytes(row, names, limits, row_number=rows_before)
            total_bytes += size
            if total_bytes > limits.max_decoded_bytes:
                raise JobInputError(
                    f"the query's rows hold more than {limits.max_decoded_bytes:,} bytes, the most an import takes "
                    f"(INDUS_IMPORT_MAX_DECODED_BYTES); it passed that within its first {rows_before:,} rows"
                )
            if partition and (partition_bytes + size > BATCH_BYTES or len(partition) >= PARTITION_ROWS):
                yield partition
                partition, partition_bytes = [], 0
            partition.append(row)
            partition_bytes += size
            widest_seen = max(widest_seen, size)
        del rows
        fetch = max(1, min(PARTITION_ROWS, BATCH_BYTES // widest_seen, FETCH_MAX_BYTES // widest_possible))
    if partition:
        yield partition


def _widest_possible_row(result: Result, limits: ReadLimits) -> int:
    """The most bytes one row of this result could hold, from its columns' types where the
    driver says them (PostgreSQL's type codes); SQLite's columns may hold anything."""
    description = getattr(getattr(result, "cursor", None), "description", None) or ()
    fixed = result.dialect.name == "postgresql"
    return max(1, sum(
        FIXED_WIDTH_BYTES if fixed and column[1] in POSTGRESQL_FIXED_WIDTH_TYPES else limits.max_value_bytes
        for column in description
    ))


def _row_bytes(row, names: list[str], limits: ReadLimits, *, row_number: int) -> int:
    total = 0
    for name, value in zip(names, row):
        size = _value_bytes(value)
        if size > limits.max_value_bytes:
            raise JobInputError(_value_too_large(limits, f"row {row_number:,} holds {size:,} bytes in column {name!r}"))
        total += size
    if total > BATCH_BYTES:
        raise JobInputError(
            f"row {row_number:,} holds {total:,} bytes, more than the {BATCH_BYTES:,} bytes an SQL import holds "
            "at a time; select fewer or shorter columns"
        )
    return total


def _value_too_large(limits: ReadLimits, where: str | None) -> str:
    return (f"{where or 'the query makes a value too large to import'}; a single value may hold at most "
            f"{limits.max_value_bytes:,} bytes (INDUS_IMPORT_MAX_VALUE_BYTES): leave the column out or shorten it "
            "in the query")


def _value_bytes(value) -> int:
    """About what the value takes in memory: its length for text and bytes, the sum of its
    items for the lists and documents (JSON, arrays) a driver returns, Python's size otherwise."""
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return sum(map(_value_bytes, value))
    if isinstance(value, dict):
        return sum(_value_bytes(key) + _value_bytes(item) for key, item in value.items())
    return sys.getsizeof(value)


def _unified(batches: list[pa.RecordBatch]) -> pa.Schema:
    return pa.unify_schemas([batch.schema for batch in batches], promote_options="permissive")


def _has_untyped_columns(batches: list[pa.RecordBatch]) -> bool:
    return any(pa.types.is_null(field.type) for field in _unified(batches))


def _column(values: tuple) -> pa.Array:
    """Arrow infers the type; values it cannot hold (ranges, network addresses...) are kept as
    text. So are UUIDs: pyarrow reads them as its UUID extension type (16 bytes), which the
    dataset checks, the workers' casts and most Parquet readers do not understand."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return _as_text(values)
    return _as_text(values) if isinstance(array.type, pa.BaseExtensionType) else array


def _as_text(values: tuple) -> pa.Array:
    return pa.array([None if value is None else str(value) for value in values], type=pa.string())


def _cast(batch: pa.RecordBatch, schema: pa.Schema, rows_before: int) -> pa.RecordBatch:
    if batch.schema.equals(schema):
        return batch
    columns = []
    for field, values in zip(schema, batch.columns):
        try:
            columns.append(values.cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise JobInputError(
                f"column {field.name!r} changes type after row {rows_before}: its first rows are "
                f"{field.type} but later ones are {values.type}; CAST it to one type in the query"
            ) from None
    return pa.RecordBatch.from_arrays(columns, schema=schema)
