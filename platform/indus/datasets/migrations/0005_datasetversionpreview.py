"""Each version's first rows, stored so that a preview reads no data (on an object store the
preview downloaded the whole file). Versions stored before get theirs here, read once within
INDUS_PREVIEW_MAX_BYTES (a version stored before the import limits may be a bomb); a version
whose file cannot be read gets none, and its pages say so."""
import django.db.models.deletion
import pyarrow as pa
from django.db import migrations, models


def store_previews(apps, schema_editor):
    from indus.core.storage import local_file
    from indus.datasets.snapshots import preview_of

    DatasetVersion = apps.get_model("datasets", "DatasetVersion")
    DatasetVersionPreview = apps.get_model("datasets", "DatasetVersionPreview")
    for version in DatasetVersion.objects.filter(stored_preview__isnull=True).iterator():
        try:
            with local_file(version.data_path) as path:
                preview = preview_of(path)
        except (OSError, pa.ArrowInvalid):
            continue
        DatasetVersionPreview.objects.create(version=version, **preview)


class Migration(migrations.Migration):
    dependencies = [("datasets", "0004_sqlconnection_encrypted_url")]

    operations = [
        migrations.CreateModel(
            name="DatasetVersionPreview",
            fields=[
                ("version", models.OneToOneField(
                    on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="stored_preview",
                    serialize=False, to="datasets.datasetversion",
                )),
                ("rows", models.JSONField(default=list, help_text="the first rows, {column: value}, long values cut")),
                ("first_cut_row", models.IntegerField(
                    blank=True, null=True, help_text="the index of the first row with a value cut; blank: none was",
                )),
            ],
        ),
        migrations.RunPython(store_previews, migrations.RunPython.noop),
    ]
