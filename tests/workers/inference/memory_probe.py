"""Run as a script: peak resident memory after jobs of growing size, in one fresh process.

Usage: python -m tests.workers.inference.memory_probe MODEL_DIR WORK_DIR ROWS_PER_PART ROWS [ROWS ...]
Prints one JSON line: {"rows": [...], "peak_rss_mib": [...], "job_python_mib": [...], "rows_per_second": [...]}.
The first size is a warm-up (model loading, first-use caches), not traced. ru_maxrss is the
process's high-water mark: if a larger job needed more memory, the mark would rise. A job's
Python memory is its peak of Python allocations above what was held before it (tracemalloc),
without the allocator's noise: what a job holding rows in Python lists would grow.
"""
import json
import resource
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from indus_workers.inference import InferenceSpec, ModelCache, run_inference
from tests.workers.inference.conftest import FILLER
from tests.workers.test_training import RecordedEvents


def short_reviews_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(rows)
    with pa_csv.CSVWriter(path, pa.schema([("review", pa.string())])) as writer:
        for start in range(0, rows, 10_000):
            count = min(10_000, rows - start)
            texts = [" ".join(rng.choice(FILLER, size=rng.integers(1, 8))) for _ in range(count)]
            writer.write_table(pa.table({"review": texts}))


def main(model_dir: str, work_dir: str, rows_per_part: int, sizes: list[int]) -> None:
    cache = ModelCache()
    peaks, python_peaks, speeds = [], [], []
    for rows in sizes:
        folder = Path(work_dir) / f"job-{len(peaks)}-{rows}"
        folder.mkdir(parents=True)
        short_reviews_csv(folder / "in.csv", rows)
        spec = InferenceSpec(model_dir=model_dir, input_path=str(folder / "in.csv"), input_format="csv",
                             output_dir=str(folder / "work"), output_path=str(folder / "out.parquet"),
                             output_format="parquet", id_column=None, rows_per_part=rows_per_part, on_bad_rows="mark")
        if peaks and not tracemalloc.is_tracing():
            tracemalloc.start()
        held_before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = run_inference(spec, RecordedEvents(), cache=cache)
        assert result["rows"] == rows
        python_peaks.append((tracemalloc.get_traced_memory()[1] - held_before) / 2**20)
        peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        speeds.append(result["rows_per_second"])
    print(json.dumps({"rows": sizes, "peak_rss_mib": peaks, "job_python_mib": python_peaks, "rows_per_second": speeds}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(size) for size in sys.argv[4:]])
