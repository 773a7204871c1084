"""Import jobs written before a dataset's facts had rows of their own keep them: the migration
copies each one's dataset, task and version out of its spec, and does not let an upload that
was never checked against its task vouch for the version.

The rows are written with the models as they were before the migration (0002), and the
migration runs as `migrate` runs it, on its own historical models, not today's."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from indus.datasets.models import DatasetVersion
from indus.datasets.selectors import dataset_imports, dataset_version_tasks

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("datasets", "0002_sqlconnection")]
AFTER = [("datasets", "0003_dataset_import_facts")]


def test_old_import_jobs_get_their_facts(project, dataset):
    MigrationExecutor(connection).migrate(BEFORE)
    applied = MigrationExecutor(connection).loader
    # The models of every migration applied now: datasets as of 0002, the other apps as they are.
    old = applied.project_state(list(applied.applied_migrations)).apps
    Job, Version = old.get_model("jobs", "Job"), old.get_model("datasets", "DatasetVersion")

    def old_job(kind: str, spec: dict, result: dict | None = None):
        return Job.objects.create(project_id=project.pk, kind=kind, queue="cpu", spec=spec, result=result,
                                  state="succeeded" if result else "failed")

    made = old_job("import", {"dataset_id": dataset.pk, "original_name": "loans.csv", "task": "a.first"},
                   {"created": True})
    version = Version.objects.create(dataset_id=dataset.pk, number=1, sha256="a" * 64, source="upload",
                                     data_path="datasets/x.parquet", size_bytes=1, row_count=2,
                                     columns=[{"name": "x", "type": "int64"}], import_job_id=made.pk)
    result = {"dataset_version_id": version.pk, "created": False}
    unchecked = old_job("import", {"dataset_id": dataset.pk, "original_name": "again.csv", "task": "b.second"}, result)
    sampled = old_job("sample", {"dataset_id": dataset.pk, "sample": "x.rows", "task": "c.third"}, result)
    failed = old_job("sql_import", {"dataset_id": dataset.pk, "task": None})
    old_job("sample", {"sample": "none"})  # no dataset: not an import of any
    old_job("import", {"dataset_id": 10**9, "original_name": "gone.csv"})

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    imports = {record.job_id: record for record in dataset_imports(dataset=dataset)}
    assert set(imports) == {made.pk, unchecked.pk, sampled.pk, failed.pk}
    assert (imports[made.pk].source_name, imports[made.pk].task) == ("loans.csv", "a.first")
    assert imports[unchecked.pk].version is None
    assert imports[failed.pk].version is None and imports[failed.pk].task == ""
    # A sample's rows are checked before they are hashed, so its task was checked.
    assert dataset_version_tasks(version=DatasetVersion.objects.get(pk=version.pk)) == ["a.first", "c.third"]
