"""SQL connection URLs encrypted at rest: each stored plain URL becomes a Fernet token under the
first of INDUS_CREDENTIALS_KEYS, and a copy with the password hidden; the plain column goes.
Rows stored before are kept (a retry of their import may need them), and deleted like new ones
when an import that uses them ends."""
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import migrations, models
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.INDUS_CREDENTIALS_KEYS])


def encrypt_plain_urls(apps, schema_editor):
    SqlConnection = apps.get_model("datasets", "SqlConnection")
    fernet = _fernet()
    for connection in SqlConnection.objects.all().iterator():
        connection.encrypted_url = fernet.encrypt(connection.url.encode()).decode()
        try:
            connection.shown_url = make_url(connection.url).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):  # not a URL SQLAlchemy reads: nothing of it is shown
            connection.shown_url = "(unreadable URL)"
        connection.url = ""
        connection.save(update_fields=["encrypted_url", "shown_url", "url"])


def decrypt_to_plain_urls(apps, schema_editor):
    SqlConnection = apps.get_model("datasets", "SqlConnection")
    fernet = _fernet()
    for connection in SqlConnection.objects.all().iterator():
        connection.url = fernet.decrypt(connection.encrypted_url.encode()).decode()
        connection.save(update_fields=["url"])


class Migration(migrations.Migration):
    dependencies = [
        ("datasets", "0003_dataset_import_facts"),
    ]

    operations = [
        migrations.AddField(
            model_name="sqlconnection",
            name="shown_url",
            field=models.TextField(default="", help_text="the URL with its password hidden"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sqlconnection",
            name="encrypted_url",
            field=models.TextField(default="", help_text="the whole URL, a Fernet token"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sqlconnection",
            name="keep_after_import",
            field=models.BooleanField(
                default=False, help_text="kept after its import ends, so that its user can retry it"
            ),
        ),
        # A default lets the column come back empty when the migration is reversed.
        migrations.AlterField(model_name="sqlconnection", name="url", field=models.TextField(default="")),
        migrations.RunPython(encrypt_plain_urls, decrypt_to_plain_urls, elidable=False),
        migrations.RemoveField(model_name="sqlconnection", name="url"),
    ]
