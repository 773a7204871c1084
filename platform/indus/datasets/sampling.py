"""The `sample` job: a plugin's sample-data generator, stored as a dataset version."""
from indus.datasets import snapshots
from indus.datasets.models import DatasetVersion
from indus.jobs.execution import JobContext, JobInputError
from indus.plugins.contract import resolve_factory
from indus.plugins.manager import get_registry


def run_sample_job(context: JobContext) -> dict:
    spec = context.spec
    dataset = snapshots.dataset_of_import(context, source_name=spec["sample"])
    sample = get_registry().samples.get(spec["sample"])
    if sample is None:
        raise JobInputError(f"sample dataset {spec['sample']!r} is not provided by any loaded plugin")
    context.report_progress(0.0, f"generating {spec['rows']} rows of {sample.name}")
    table = resolve_factory(sample.generator)(rows=spec["rows"], seed=spec["seed"])
    batches = table.to_batches(max_chunksize=65_536)
    written = iter(range(1, len(batches) + 1))

    return snapshots.store_batches(
        context,
        dataset=dataset,
        batches=iter(batches),
        progress=lambda: next(written) / len(batches),
        source=DatasetVersion.Source.SAMPLE,
        source_name=f"{sample.name} (rows={spec['rows']}, seed={spec['seed']})",
    )
