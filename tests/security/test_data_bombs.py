"""Data bombs against a real import worker: files of a few kilobytes that decode to gigabytes.

The attacks this reproduces: a 1,221-byte Parquet file, dictionary-encoded, held 100,000 rows
of one 1 MB value, and the import accepted it; a 303-byte file whose one row holds a list of
20 million int64 zeros took the worker to 1 GB; a 16 KB file of 300 distinct 1 MB texts added
600 MB; 300 constant int64 columns in 83 KB decoded to 157 MB a batch; a 169 KB CSV of 20,000
columns took 484 MB, and a JSON Lines file of 20,000 keys, one a row, 5.5 GB. Now each import limit (rows, columns, decoded bytes, bytes of one value,
bytes of a row group's variable-width values) fails the job with a message that names it,
before the rows past it are decoded (Parquet: from the footer), and the worker's peak memory
grows by less than WORKER_MEMORY_BOUND.
"""
import hashlib
import io

import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion
from indus.datasets.services import dataset_upload
from indus.jobs.states import TERMINAL_STATES
from tests.security.bombs import (
    constant_columns_bomb,
    dictionary_bomb,
    distinct_texts_bomb,
    list_bomb,
    stored_bomb,
)
from tests.security.processes import resident_bytes, worker_with
from tests.support.workers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MiB = 1024**2
# The limits the worker runs with: small enough to reach with a small file, above a legitimate
# import of LEGITIMATE_ROWS rows of LEGITIMATE_VALUE_BYTES and of 800 columns of 65,536 rows.
MAX_ROWS = 100_000
MAX_DECODED_BYTES = 1024 * MiB
MAX_ROW_GROUP_BYTES = 64 * MiB
LEGITIMATE_ROWS, LEGITIMATE_VALUE_BYTES = 2_000, 100_000  # 200 MB once decoded
# Rows are decoded 64 MiB at a time: the worker's peak grows by less than this (145 MiB measured
# for the 200 MB import).
WORKER_MEMORY_BOUND = 256 * MiB


@pytest.fixture(scope="module")
def limited_worker(django_db_setup, tmp_path_factory):
    """A worker with small row, decoded-size and row-group limits, and the default value and
    column limits."""
    with worker_with(tmp_path_factory.mktemp("bomb-worker"), INDUS_IMPORT_MAX_ROWS=str(MAX_ROWS),
                     INDUS_IMPORT_MAX_DECODED_BYTES=str(MAX_DECODED_BYTES),
                     INDUS_IMPORT_MAX_ROW_GROUP_BYTES=str(MAX_ROW_GROUP_BYTES)) as worker:
        yield worker


@pytest.fixture(scope="module")
def worker_baseline(limited_worker) -> int:
    return resident_bytes(limited_worker.process.pid, "VmRSS")


def finished(job, timeout: float = 120):
    def done():
        job.refresh_from_db()
        return job.state in TERMINAL_STATES

    wait_for(done, timeout=timeout, message=f"job {job.pk} to finish (now {job.state})")
    return job


def stored_table(version: DatasetVersion) -> pa.Table:
    with artifact_storage().open(version.data_path, "rb") as stored:
        return pa_parquet.read_table(io.BytesIO(stored.read()))


def assert_peak_memory_bounded(worker, baseline: int) -> int:
    grown = resident_bytes(worker.process.pid) - baseline
    assert grown < WORKER_MEMORY_BOUND, f"the worker's peak memory grew by {grown / MiB:.0f} MiB"
    print(f"the worker's peak memory has grown by {grown / MiB:.0f} MiB")
    return grown


@pytest.fixture
def good_version(limited_worker, dataset, upload):
    job = finished(dataset_upload(dataset=dataset, file=upload("id,label\n1,low\n2,high\n", name="good.csv")))
    assert job.state == "succeeded", job.error
    return DatasetVersion.objects.get(pk=job.result["dataset_version_id"])


VALUE_LIMIT = "a single value may hold at most 524,288 (INDUS_IMPORT_MAX_VALUE_BYTES)"


@pytest.mark.parametrize("name,content,file_bytes,message", [
    # The file: 100,000 rows of one 1 MB value, about 1 KB on disk, 100 GB decoded.
    ("bomb.parquet", lambda: dictionary_bomb(MAX_ROWS, 1_000_000), 1_300,
     "row 1 holds 1,000,000 bytes in column 'text'; " + VALUE_LIMIT),
    ("wide.parquet", lambda: dictionary_bomb(12_000, 100_000), 1_300,
     f"larger than {MAX_DECODED_BYTES:,} bytes once decoded, the most an import takes (INDUS_IMPORT_MAX_DECODED_BYTES)"),
    ("long.csv", lambda: "n\n" + "1\n" * (MAX_ROWS + 1), 2 * MAX_ROWS + 10,
     f"more than {MAX_ROWS:,} rows, the most an import takes (INDUS_IMPORT_MAX_ROWS)"),
    # One row, one list of 20 million int64 zeros: 160 MB, refused from the footer.
    ("list.parquet", lambda: list_bomb(20_000_000), 700, "row 1 holds 160,000,000 bytes in column 'values'; " + VALUE_LIMIT),
    # The same list among 399 empty ones: 400 KB a row on average, but one cell holds it all.
    ("skewed.parquet", lambda: list_bomb(20_000_000, rows=400), 700,
     f"more than {MAX_ROW_GROUP_BYTES:,}, the most a row group may hold (INDUS_IMPORT_MAX_ROW_GROUP_BYTES)"),
    # 300 distinct 1 MB texts, compressed to 16 KB: no dictionary shares them.
    ("texts.parquet", lambda: distinct_texts_bomb(300, 1_000_000), 20_000, "rows 1 to 300 hold on average 1,0"),
    ("texts.parquet", lambda: distinct_texts_bomb(300, 1_000_000), 20_000, VALUE_LIMIT),
    # 20,000 columns in 169 KB: each is profiled and written on its own.
    ("columns.csv", lambda: "\n".join([",".join(f"c{i}" for i in range(20_000)), ",".join("1" * 20_000)]), 170_000,
     "the file has 20,000 columns, more than 2,000, the most an import takes (INDUS_IMPORT_MAX_COLUMNS)"),
    # 20,000 rows of one key each, another each time: a block's rows make a column of every key (5.5 GB).
    ("keys.jsonl", lambda: "".join(f'{{"c{i}": 1}}\n' for i in range(20_000)), 270_000,
     "the file has 20,000 columns, more than 2,000, the most an import takes (INDUS_IMPORT_MAX_COLUMNS)"),
])
def test_a_file_past_an_import_limit_fails_naming_it_and_changes_nothing(
    limited_worker, worker_baseline, good_version, dataset, upload, name, content, file_bytes, message,
):
    data = content()
    assert len(data) < file_bytes  # the attack: a small file
    job = finished(dataset_upload(dataset=dataset, file=upload(data, name=name)))
    assert job.state == "failed"
    assert message in job.error and "Traceback" not in job.error
    assert limited_worker.alive
    assert_peak_memory_bounded(limited_worker, worker_baseline)
    # Nothing stored before the attack changed: the one version, its rows, its number.
    assert list(dataset.versions.all()) == [good_version]
    assert stored_table(good_version).to_pydict() == {"id": [1, 2], "label": ["low", "high"]}


def test_a_large_file_within_the_limits_imports_in_bounded_memory(limited_worker, worker_baseline, dataset, upload):
    data = dictionary_bomb(LEGITIMATE_ROWS, LEGITIMATE_VALUE_BYTES)
    job = finished(dataset_upload(dataset=dataset, file=upload(data, name="notes.parquet")))
    assert job.state == "succeeded", job.error
    version = DatasetVersion.objects.get(pk=job.result["dataset_version_id"])
    assert version.row_count == LEGITIMATE_ROWS
    assert [(column["name"], column["type"]) for column in version.columns] == [("text", "string")]
    assert version.profile["columns"][0]["length"]["mean"] == LEGITIMATE_VALUE_BYTES
    # 200 MB went through the worker, 64 MiB at a time.
    assert_peak_memory_bounded(limited_worker, worker_baseline)


def test_many_constant_columns_import_in_bounded_memory(limited_worker, worker_baseline, dataset, upload):
    """800 int64 columns of 65,536 zeros: 220 KB, 419 MB once decoded, within the limits, and
    once a single batch of 65,536 rows. The batches are sized from the footer instead."""
    data = constant_columns_bomb(800, 65_536)
    assert len(data) < 250_000
    job = finished(dataset_upload(dataset=dataset, file=upload(data, name="constant.parquet")), timeout=300)
    assert job.state == "succeeded", job.error
    version = DatasetVersion.objects.get(pk=job.result["dataset_version_id"])
    assert (version.row_count, len(version.columns)) == (65_536, 800)
    assert_peak_memory_bounded(limited_worker, worker_baseline)


def test_a_bomb_stored_before_the_limits_is_checked_against_a_task_in_bounded_memory(
    limited_worker, worker_baseline, dataset, upload, stored_version,
):
    """The same content as an existing version, under a task, is checked against the task by
    reading the stored version's task columns. Here that version is a bomb stored before the
    limits (100,000 headlines of 1 MB: 100 GB once decoded) which claims the hash of a small
    upload within the limits, so that the check of the stored file is what runs: it reads the
    task's columns a batch at a time, text as dictionaries, and says what does not fit."""
    small = b"headline\nShares rise\n"
    bomb = stored_bomb(stored_version, 100_000, 1_000_000, column="headline")
    DatasetVersion.objects.filter(pk=bomb.pk).update(sha256=hashlib.sha256(small).hexdigest())
    job = finished(dataset_upload(dataset=dataset, file=upload(small, name="again.csv"), task="finance.news_sentiment"))
    assert job.state == "failed"
    assert job.error.startswith("the data does not fit task finance.news_sentiment: ")
    assert "column 'sentiment' is missing" in job.error
    assert_peak_memory_bounded(limited_worker, worker_baseline)
    assert list(dataset.versions.all()) == [bomb]
