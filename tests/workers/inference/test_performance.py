"""Padding stays low on length-skewed text, and memory does not grow with the number of rows."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa

from indus_workers.inference import run_inference
from tests.workers.inference.conftest import FILLER, RecordedEvents, make_spec

ROOT = Path(__file__).resolve().parents[3]


def length_skewed_reviews(rows: int) -> pa.Table:
    """Mostly a few words, a long tail of long reviews (beyond the model's 32 tokens)."""
    rng = np.random.default_rng(21)
    lengths = np.minimum(rng.lognormal(mean=1.5, sigma=1.0, size=rows).astype(int) + 1, 60)
    return pa.table({"review": [" ".join(rng.choice(FILLER, size=length)) for length in lengths]})


def test_padding_is_at_most_a_tenth_of_the_tokens(tmp_path, text_model_dir):
    table = length_skewed_reviews(3000)
    result = run_inference(make_spec(tmp_path, text_model_dir, table, batch_size=64), RecordedEvents())
    assert result["padding_share"] <= 0.10
    assert result["rows"] == 3000 and result["rows_per_second"] > 0

    # What batching in file order would pad, for scale: far more.
    from indus_workers.model import load_model

    lengths = [example["length"] for example in load_model(text_model_dir).featurize(table, inference=True)]
    batches = [lengths[start : start + 64] for start in range(0, len(lengths), 64)]
    file_order_share = 1 - sum(map(sum, batches)) / sum(max(batch) * len(batch) for batch in batches)
    assert file_order_share > 3 * result["padding_share"]


def test_memory_does_not_grow_with_rows(tmp_path, text_model_dir):
    rows_per_part, sizes = 1000, [1000, 5000, 15000]  # the first job warms up and is not traced
    completed = subprocess.run(
        [sys.executable, "-m", "tests.workers.inference.memory_probe", text_model_dir, str(tmp_path), str(rows_per_part),
         *map(str, sizes)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")])},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    _, smaller, larger = measured["job_python_mib"]
    # Three times the rows: the same working memory (a few chunks in flight), not three times as much.
    assert larger <= 1.15 * smaller + 0.5, measured
    assert measured["peak_rss_mib"][2] - measured["peak_rss_mib"][1] < 32, measured
