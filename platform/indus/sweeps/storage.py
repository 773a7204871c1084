"""Optuna's storage: its own tables in the platform's database (SQLite embedded, PostgreSQL in
services mode), reached through SQLAlchemy with the connection Django is configured with. The
study survives every process: workers, web server, the whole platform restarting."""
from django.db import connections
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

# Django's engines and the SQLAlchemy drivers that reach the same database.
DRIVERS = {"django.db.backends.sqlite3": "sqlite", "django.db.backends.postgresql": "postgresql+psycopg"}


def database_url() -> URL:
    """The SQLAlchemy URL of Django's default database, as this process uses it (the test
    database under the tests: `connections` reads the settings after the test run's swap)."""
    db = connections["default"].settings_dict
    driver = DRIVERS.get(db["ENGINE"])
    if driver is None:
        raise RuntimeError(f"sweeps keep their study in the platform's database; {db['ENGINE']} is not supported")
    if driver == "sqlite":
        return URL.create(driver, database=str(db["NAME"]))
    return URL.create(driver, username=db["USER"] or None, password=db["PASSWORD"] or None, host=db["HOST"] or None,
                      port=int(db["PORT"]) if db["PORT"] else None, database=db["NAME"])


def study_storage():
    """Optuna's RDB storage in the platform's database. No pool: a connection is held only
    while Optuna reads or writes, so nothing keeps the database open between polls (a test
    run can drop its database; SQLite's writers take turns, as Django's do)."""
    import optuna

    url = database_url()
    connect_args = {"timeout": 30} if url.drivername == "sqlite" else {}
    return optuna.storages.RDBStorage(
        url.render_as_string(hide_password=False),
        engine_kwargs={"poolclass": NullPool, "connect_args": connect_args},
    )
