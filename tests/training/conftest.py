import io

import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest
from django.core.files.base import ContentFile

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion
from indus.datasets.profiling import DatasetProfiler
from indus.datasets.services import dataset_version_create


@pytest.fixture
def stored_version(dataset):
    """Store a pyarrow table as a version of the `dataset` fixture, as an import job would."""

    def store(table: pa.Table) -> DatasetVersion:
        sink = io.BytesIO()
        pa_parquet.write_table(table, sink)
        sha = f"{abs(hash(sink.getvalue())):064d}"[:64]
        path = artifact_storage().save(f"datasets/{dataset.pk}/{sha}.parquet", ContentFile(sink.getvalue()))
        profiler = DatasetProfiler(table.schema)
        for batch in table.to_batches():
            profiler.add(batch)
        version, _ = dataset_version_create(
            dataset=dataset, sha256=sha, source=DatasetVersion.Source.UPLOAD, data_path=path,
            size_bytes=len(sink.getvalue()), row_count=table.num_rows,
            columns=[{"name": f.name, "type": str(f.type)} for f in table.schema], profile=profiler.as_dict(),
        )
        return version

    return store


@pytest.fixture
def headlines():
    """Rows that fit finance.news_sentiment."""
    labels = ["negative", "neutral", "positive"] * 40
    return pa.table({
        "headline_id": list(range(len(labels))),
        "headline": [f"Shares {'fall' if y == 'negative' else 'rise' if y == 'positive' else 'hold'} today" for y in labels],
        "sentiment": labels,
    })
