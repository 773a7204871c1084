"""A dataset's imports and the tasks its versions were checked against, as rows of their own
(`DatasetImport`) instead of keys inside the import jobs' specs; existing import jobs are
copied over, so old data keeps its facts."""
import django.db.models.deletion
from django.db import migrations, models

IMPORT_KINDS = ("import", "sample", "sql_import")


def copy_facts_from_job_specs(apps, schema_editor):
    Dataset = apps.get_model("datasets", "Dataset")
    DatasetImport = apps.get_model("datasets", "DatasetImport")
    DatasetVersion = apps.get_model("datasets", "DatasetVersion")
    Job = apps.get_model("jobs", "Job")
    datasets = set(Dataset.objects.values_list("pk", flat=True))
    made_by = dict(DatasetVersion.objects.filter(import_job__isnull=False).values_list("import_job_id", "pk"))
    versions = dict(DatasetVersion.objects.values_list("pk", "dataset_id"))
    rows = []
    for job in Job.objects.filter(kind__in=IMPORT_KINDS).order_by("created_at", "id").iterator():
        spec, result = job.spec or {}, job.result or {}
        dataset_id = spec.get("dataset_id")
        if dataset_id not in datasets:
            continue
        task = spec.get("task") or ""
        version_id = made_by.get(job.pk)
        if version_id is None and job.state == "succeeded" and versions.get(result.get("dataset_version_id")) == dataset_id:
            # An upload of content already stored was never checked against its own task (the
            # bug these rows fix), so that import does not vouch for the version fitting it.
            unchecked = job.kind == "import" and task and not result.get("created", True)
            version_id = None if unchecked else result["dataset_version_id"]
        rows.append(DatasetImport(
            dataset_id=dataset_id, job_id=job.pk, task=task, version_id=version_id,
            source_name=(spec.get("original_name") or spec.get("sample") or "")[:255],
        ))
    DatasetImport.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('datasets', '0002_sqlconnection'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='DatasetImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('task', models.CharField(blank=True, help_text='the task the data is checked against; blank: none', max_length=200)),
                ('source_name', models.CharField(blank=True, help_text="the uploaded file's name, or the sample's", max_length=255)),
                ('dataset', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='imports', to='datasets.dataset')),
                ('job', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='dataset_import', to='jobs.job')),
                ('version', models.ForeignKey(blank=True, help_text='the version holding the data, once it is stored and fits the task', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='imports', to='datasets.datasetversion')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.RunPython(copy_facts_from_job_specs, migrations.RunPython.noop),
    ]
