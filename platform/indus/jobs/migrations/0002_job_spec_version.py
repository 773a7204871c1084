from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="spec_version",
            # Rows already there were written before specs were versioned: version 0.
            field=models.PositiveSmallIntegerField(default=0),
        ),
    ]
