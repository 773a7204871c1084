"""The `sql_import` job: a read-only query's rows, snapshotted to Parquet as a new version.

It runs on a `cpu` worker. Rows stream from the database (a server-side cursor where the
driver has one) in partitions that become pyarrow record batches, so memory stays flat for
any row count. The session is read-only where the database allows it, and the query is
stopped when it runs past its time limit: by the database (PostgreSQL's statement_timeout,
MySQL's max_execution_time), by SQLite's progress handler, and by a wall-clock check between
partitions for any other database. The URL's password never reaches a log or an error.
"""
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pyarrow as pa
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Result, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from indus.datasets import snapshots
from indus.datasets.models import Dataset, DatasetVersion, SqlConnection
from indus.jobs.execution import JobCancelled, JobContext, JobInputError

PARTITION_ROWS = 10_000
# Columns that are all NULL in the first partitions have no type yet; this many partitions
# are held back while waiting for one, then such a column becomes text.
PARTITIONS_HELD_FOR_TYPES = 8
SQLITE_PROGRESS_STEPS = 10_000


class QueryTimedOut(Exception):
    pass


def run_sql_import_job(context: JobContext) -> dict:
    spec = context.spec
    dataset = Dataset.objects.get(pk=spec["dataset_id"])
    stored = SqlConnection.objects.filter(pk=spec["connection_id"]).first()
    if stored is None:
        raise JobInputError("the connection URL of this import is no longer stored; submit the import again")
    url = make_url(stored.url)
    timeout = spec["timeout_seconds"]
    deadline = time.monotonic() + timeout
    context.report_progress(0.0, f"querying {spec['url']}")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with _connected(engine, spec["url"], url) as connection:
            _limit_session(connection, context, timeout=timeout, deadline=deadline)
            return _snapshot(context, connection, dataset, deadline)
    except QueryTimedOut:
        raise JobInputError(_timed_out(timeout)) from None
    except SQLAlchemyError as error:
        if time.monotonic() >= deadline or _is_statement_timeout(error):
            raise JobInputError(_timed_out(timeout)) from None
        if context.should_stop:
            raise JobCancelled() from None
        raise JobInputError(f"the database refused the query: {_without_password(error, url)}") from None
    finally:
        engine.dispose()


@contextmanager
def _connected(engine, shown_url: str, url) -> Iterator[Connection]:
    try:
        connection = engine.connect()
    except SQLAlchemyError as error:
        raise JobInputError(f"could not connect to {shown_url}: {_without_password(error, url)}") from None
    with connection:
        yield connection


def _snapshot(context: JobContext, connection: Connection, dataset: Dataset, deadline: float) -> dict:
    query = context.spec["query"]
    result = connection.execution_options(stream_results=True, yield_per=PARTITION_ROWS).execute(text(query))
    return snapshots.store_batches(
        context,
        dataset=dataset,
        batches=_record_batches(result, deadline, log=context.log),
        # The row count is unknown until the end: progress stays at 0 and the message counts rows.
        progress=lambda: 0.0,
        source=DatasetVersion.Source.SQL,
        source_name=query[:255],
    )


def _timed_out(timeout: int) -> str:
    return (f"the query ran longer than its limit of {timeout} s and was stopped; "
            "make it faster (filter, index) or give a larger timeout_seconds")


def _limit_session(connection: Connection, context: JobContext, *, timeout: int, deadline: float) -> None:
    """Make the session read-only and bound the query's time, as this database allows."""
    backend = connection.dialect.name
    if backend == "postgresql":
        # The first statement of the transaction the query then runs in.
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        connection.exec_driver_sql(f"SET statement_timeout = {int(timeout * 1000)}")
    elif backend in ("mysql", "mariadb"):
        # SET starts no transaction here: the query's, which follows, is read-only.
        connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        connection.exec_driver_sql(f"SET SESSION max_execution_time = {int(timeout * 1000)}")
    elif backend == "sqlite":
        raw = connection.connection.driver_connection
        raw.execute("PRAGMA query_only = ON")
        # Called every N virtual-machine steps; a true value interrupts the query.
        raw.set_progress_handler(lambda: time.monotonic() >= deadline or context.should_stop, SQLITE_PROGRESS_STEPS)


def _is_statement_timeout(error: SQLAlchemyError) -> bool:
    original = getattr(error, "orig", None)
    return isinstance(error, DBAPIError) and (
        getattr(original, "sqlstate", None) == "57014"  # PostgreSQL: query_canceled
        or "max_execution_time" in str(original)
        or str(original) == "interrupted"  # SQLite's progress handler stopped it
    )


def _without_password(error: SQLAlchemyError, url) -> str:
    message = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    if url.password:
        message = message.replace(str(url.password), "***")
    return message[:500]


def _record_batches(result: Result, deadline: float, *, log: Callable[[str], None]) -> Iterator[pa.RecordBatch]:
    names = list(result.keys())
    without_scale = _columns_without_declared_scale(result)
    batches = (
        pa.RecordBatch.from_arrays([_column(values) for values in zip(*rows)], names=names)
        for rows in _partitions_in_time(result, deadline)
    )
    held = []
    for batch in batches:
        held.append(batch)
        if len(held) >= PARTITIONS_HELD_FOR_TYPES or not _has_untyped_columns(held):
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
    for batch in itertools.chain(held, batches):
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


def _partitions_in_time(result: Result, deadline: float) -> Iterator[list]:
    for rows in result.partitions(PARTITION_ROWS):
        if time.monotonic() >= deadline:
            raise QueryTimedOut()
        yield rows


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
