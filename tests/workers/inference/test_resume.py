"""A job that dies or is stopped keeps its finished parts; run again, it continues after them and
the output has every input row exactly once, with the predictions of an uninterrupted run."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indus_workers.inference import ModelCache, run_inference
from indus_workers.inference.parts import PartStore
from tests.workers.inference.conftest import RecordedEvents, logs, make_spec, read_output, reviews, stopping_after_parts

ROWS, ROWS_PER_PART = 500, 100


@pytest.fixture
def uninterrupted(tmp_path, text_model_dir):
    spec = make_spec(tmp_path / "uninterrupted", text_model_dir, reviews(ROWS, seed=8), id_column="review_id", rows_per_part=ROWS_PER_PART)
    run_inference(spec, RecordedEvents())
    return read_output(spec.output_path, "parquet")


def assert_same_output(output, expected):
    ids = output.column("review_id").to_pylist()
    assert len(ids) == len(set(ids)) == ROWS
    assert ids == expected.column("review_id").to_pylist()
    assert output.column("label").to_pylist() == expected.column("label").to_pylist()
    assert output.column("p_positive").to_pylist() == pytest.approx(expected.column("p_positive").to_pylist(), abs=1e-6)


def test_a_stopped_job_keeps_its_parts_and_resumes_after_them(tmp_path, text_model_dir, uninterrupted):
    spec = make_spec(tmp_path, text_model_dir, reviews(ROWS, seed=8), id_column="review_id", rows_per_part=ROWS_PER_PART, batch_size=16)
    cache = ModelCache()
    stopped = run_inference(spec, stopping_after_parts(2), cache=cache)
    assert stopped["stopped"] is True and stopped["parts"] == 2 and stopped["rows"] == 200
    assert not Path(spec.output_path).exists()  # no partial output file

    events = RecordedEvents()
    result = run_inference(spec, events, cache=cache)
    assert result["resumed_from_part"] == 2 and result["parts"] == 5 and result["rows"] == ROWS
    assert "resuming after 2 completed part(s)" in logs(events)
    assert [event[2] for event in events.of("metric")] == [2, 3, 4]  # only the remaining parts were computed
    assert_same_output(read_output(spec.output_path, "parquet"), uninterrupted)


def test_a_job_that_dies_after_a_part_resumes_exactly_once(tmp_path, text_model_dir, uninterrupted, monkeypatch):
    spec = make_spec(tmp_path, text_model_dir, reviews(ROWS, seed=8), id_column="review_id", rows_per_part=ROWS_PER_PART)
    original_write = PartStore.write_part

    def write_then_die_after_two(store, index, table, *, bad_rows):
        record = original_write(store, index, table, bad_rows=bad_rows)
        if index == 1:
            raise SystemExit("the worker died")
        return record

    monkeypatch.setattr(PartStore, "write_part", write_then_die_after_two)
    with pytest.raises(SystemExit):
        run_inference(spec, RecordedEvents())
    assert not Path(spec.output_path).exists()
    monkeypatch.setattr(PartStore, "write_part", original_write)

    result = run_inference(spec, RecordedEvents())
    assert result["resumed_from_part"] == 2
    assert_same_output(read_output(spec.output_path, "parquet"), uninterrupted)


def test_a_changed_input_starts_over(tmp_path, text_model_dir):
    spec = make_spec(tmp_path, text_model_dir, reviews(ROWS, seed=8), rows_per_part=ROWS_PER_PART)
    run_inference(spec, stopping_after_parts(2))
    spec = make_spec(tmp_path, text_model_dir, reviews(ROWS + 1, seed=9), rows_per_part=ROWS_PER_PART)  # same paths, new file
    result = run_inference(spec, RecordedEvents())
    assert result["resumed_from_part"] is None and result["rows"] == ROWS + 1


KILLED_JOB = """
import json, sys, time
from indus_workers.inference import InferenceSpec, run_inference

class SlowEvents:
    def progress(self, fraction, message=""): time.sleep(0.3)  # after each part: time to be killed
    def metric(self, name, step, value): pass
    def log(self, message): pass
    def checkpoint(self, path, step): pass
    def should_stop(self): return False

run_inference(InferenceSpec.from_dict(json.loads(sys.argv[1])), SlowEvents())
"""


def test_a_worker_killed_mid_job_resumes_exactly_once(tmp_path, text_model_dir, uninterrupted):
    spec = make_spec(tmp_path, text_model_dir, reviews(ROWS, seed=8), id_column="review_id", rows_per_part=ROWS_PER_PART)
    root = Path(__file__).resolve().parents[3]
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_JOB, json.dumps(spec.as_dict())], cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "platform")])},
    )
    progress = Path(spec.output_dir) / "progress.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker.poll() is None:
        if progress.exists() and len(json.loads(progress.read_text())["parts"]) >= 2:
            break
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert worker.returncode == -signal.SIGKILL, "the job finished before it could be killed"
    assert not Path(spec.output_path).exists()

    result = run_inference(spec, RecordedEvents())
    assert result["resumed_from_part"] >= 2
    assert_same_output(read_output(spec.output_path, "parquet"), uninterrupted)
