"""The `sample` job: a plugin's sample-data generator, stored as a dataset version."""
from indus.datasets import snapshots
from indus.datasets.models import Dataset, DatasetVersion
from indus.jobs.execution import JobContext, JobInputError
from indus.plugins.inspection import resolve_factory
from indus.plugins.manager import get_registry


def run_sample_job(context: JobContext) -> dict:
    spec = context.spec
    dataset = Dataset.objects.get(pk=spec["dataset_id"])
    sample = get_registry().samples.get(spec["sample"])
    if sample is None:
        raise JobInputError(f"sample dataset {spec['sample']!r} is not provided by any loaded plugin")
    context.report_progress(0.0, f"generating {spec['rows']} rows of {sample.name}")
    table = resolve_factory(sample.generator)(rows=spec["rows"], seed=spec["seed"])
    batches = table.to_batches(max_chunksize=65_536)
    written = iter(range(1, len(batches) + 1))

    with snapshots.scratch_parquet_file() as parquet_file:
        profiler = snapshots.write_parquet(
            context, iter(batches), parquet_file.name, progress=lambda: next(written) / len(batches)
        )
        snapshots.check_against_task(context, parquet_file.name)
        with open(parquet_file.name, "rb") as written_file:
            sha256, size_bytes = snapshots.sha256_of(written_file)
        if existing := snapshots.existing_version(dataset, sha256):
            context.log(f"same content as version {existing.number}; no new version made")
            return snapshots.version_result(existing, created=False)
        return snapshots.store_version(
            context,
            dataset=dataset,
            parquet_file=parquet_file,
            sha256=sha256,
            size_bytes=size_bytes,
            profiler=profiler,
            source=DatasetVersion.Source.SAMPLE,
            source_name=f"{sample.name} (rows={spec['rows']}, seed={spec['seed']})",
        )
