"""Data bombs: Parquet files far smaller than the rows they decode to, and versions that hold
one as an import stored it before the import limits existed."""
import hashlib
import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pa_parquet

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion, DatasetVersionPreview
from indus.datasets.snapshots import preview_of


def dictionary_bomb(rows: int, value_bytes: int, column: str = "text") -> bytes:
    """`rows` rows whose `column` all refer to one text of `value_bytes`: a dictionary-encoded Parquet
    file far smaller than its data. Its column is plain text to a reader (no Arrow schema is
    stored), and it has no statistics (they would hold the value itself)."""
    text = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, np.int32)), pa.array(["x" * value_bytes]))
    sink = io.BytesIO()
    pa_parquet.write_table(pa.table({column: text}), sink, compression="zstd", write_statistics=False,
                           store_schema=False)
    return sink.getvalue()


def _parquet(table: pa.Table, **options) -> bytes:
    sink = io.BytesIO()
    pa_parquet.write_table(table, sink, compression="zstd", write_statistics=False, store_schema=False, **options)
    return sink.getvalue()


def list_bomb(items: int, rows: int = 1) -> bytes:
    """`rows` rows of a list column whose first row holds `items` int64 zeros and the others
    none: a few hundred bytes (the zeros are one run) whose one cell decodes to 8 bytes an item."""
    offsets = pa.array([0] + [items] * rows, pa.int32())
    return _parquet(pa.table({"values": pa.ListArray.from_arrays(offsets, pa.array(np.zeros(items, np.int64)))}))


def distinct_texts_bomb(rows: int, value_bytes: int) -> bytes:
    """`rows` distinct texts of `value_bytes` each, plain-encoded: they compress to almost
    nothing, and no dictionary shares them."""
    texts = [f"{row:08d}" + "x" * (value_bytes - 8) for row in range(rows)]
    return _parquet(pa.table({"text": texts}), use_dictionary=False)


def constant_columns_bomb(columns: int, rows: int) -> bytes:
    """`columns` int64 columns of `rows` zeros each: every column is one run."""
    return _parquet(pa.table({f"c{index}": np.zeros(rows, np.int64) for index in range(columns)}))


def stored_bomb(stored_version, rows: int, value_bytes: int, column: str = "text") -> DatasetVersion:
    """A version whose file is `dictionary_bomb(rows, value_bytes, column)`, addressed by that file's
    hash, profiled as text whose one value is counted `rows` times: what an import stored
    before the limits, with the preview stored for it since."""
    data = dictionary_bomb(rows, value_bytes, column)
    version = stored_version(pa.table({column: ["placeholder"]}))
    with artifact_storage().open(version.data_path, "wb") as stored:
        stored.write(data)
    DatasetVersion.objects.filter(pk=version.pk).update(
        sha256=hashlib.sha256(data).hexdigest(), row_count=rows, size_bytes=len(data), profile={
            "row_count": rows,
            "columns": [{"name": column, "type": "string", "missing": 0, "distinct": 1,
                         "top_values": [{"value": "x" * 40, "count": rows}]}],
        },
    )
    # The preview an import stores, or the migration that stored one for each earlier version.
    DatasetVersionPreview.objects.update_or_create(version=version, defaults=preview_of(io.BytesIO(data)))
    version.refresh_from_db()
    return version
