"""The stored URLs of SQL imports, which may hold a password: every write and read of them.

A URL is stored as a Fernet token (cryptography's authenticated encryption, AES with an HMAC)
under the first key of INDUS_CREDENTIALS_KEYS; every listed key can read it (MultiFernet), so
keys rotate by putting a new one first and running `manage.py rotate_sql_credentials`. The
database alone, a backup or a dump of it, shows no password. The row lives only as long as its
import (however the import ends: see the SQL import kind's `after_final`) unless its user chose
to keep it, then INDUS_SQL_KEPT_CREDENTIALS_DAYS at most; it serves only its own user's imports.
"""
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils import timezone
from sqlalchemy.engine import URL, make_url

from indus.datasets.models import Dataset, SqlConnection


class CredentialsUnreadable(Exception):
    """No key of INDUS_CREDENTIALS_KEYS opens the stored URL (the keys changed)."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.INDUS_CREDENTIALS_KEYS])


def sql_connection_create(*, dataset: Dataset, url: URL, keep_after_import: bool = False, created_by=None) -> SqlConnection:
    return SqlConnection.objects.create(
        dataset=dataset,
        shown_url=url.render_as_string(hide_password=True),
        encrypted_url=_fernet().encrypt(url.render_as_string(hide_password=False).encode()).decode(),
        keep_after_import=keep_after_import,
        created_by=created_by,
    )


def sql_connection_url(*, connection: SqlConnection) -> URL:
    try:
        return make_url(_fernet().decrypt(connection.encrypted_url.encode()).decode())
    except InvalidToken:
        raise CredentialsUnreadable() from None


def sql_connection_discard_after_import(*, connection_id: int) -> None:
    """The import using this connection has ended: its credentials go, unless kept."""
    SqlConnection.objects.filter(pk=connection_id, keep_after_import=False).delete()


def sql_connection_discard_after_job(spec: dict) -> None:
    """The SQL import job's `after_final` hook: however it ended (run, cancelled while queued,
    given up after its attempts), the credentials it was given go, unless kept."""
    sql_connection_discard_after_import(connection_id=spec["connection_id"])


def sql_connections_expire() -> int:
    """Kept credentials older than INDUS_SQL_KEPT_CREDENTIALS_DAYS are deleted: a retry needs
    them for days, not for ever. Run before each SQL import is queued and before one connects;
    returns how many were."""
    cutoff = timezone.now() - timedelta(days=settings.INDUS_SQL_KEPT_CREDENTIALS_DAYS)
    deleted, _ = SqlConnection.objects.filter(keep_after_import=True, created_at__lt=cutoff).delete()
    return deleted


def sql_connections_rotate() -> int:
    """Encrypt every stored URL again under the first key; returns how many rows were."""
    fernet = _fernet()
    rotated = 0
    for connection in SqlConnection.objects.only("pk", "encrypted_url").iterator():
        SqlConnection.objects.filter(pk=connection.pk).update(
            encrypted_url=fernet.rotate(connection.encrypted_url.encode()).decode()
        )
        rotated += 1
    return rotated
