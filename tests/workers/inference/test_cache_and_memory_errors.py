"""The worker keeps loaded models between jobs, and splits a batch that runs out of memory."""
import os

import pytest
import torch

from indus_workers.inference import ModelCache, run_inference
from indus_workers.inference.predictor import is_out_of_memory
from indus_workers.model import WEIGHTS_FILE
from tests.workers.inference.conftest import RecordedEvents, make_spec, read_output, reviews


def test_the_second_job_gets_the_same_loaded_model(tmp_path, text_model_dir):
    cache = ModelCache()
    first = run_inference(make_spec(tmp_path / "first", text_model_dir, reviews(20)), RecordedEvents(), cache=cache)
    assert len(cache) == 1  # the job loaded the model into the cache it was given, empty as it was
    model = cache.get(text_model_dir)
    second = run_inference(make_spec(tmp_path / "second", text_model_dir, reviews(20, seed=3)), RecordedEvents(), cache=cache)
    assert cache.get(text_model_dir) is model and len(cache) == 1
    assert first["rows"] == second["rows"] == 20


def test_the_least_recently_used_model_leaves_and_rewritten_weights_reload(text_model_dir, tabular_model_dir, tagging_model_dir):
    cache = ModelCache(max_models=2)
    text = cache.get(text_model_dir)
    cache.get(tabular_model_dir)
    assert cache.get(text_model_dir) is text  # now the most recently used
    cache.get(tagging_model_dir)  # evicts the tabular model
    assert cache.get(text_model_dir) is text and len(cache) == 2

    weights = os.path.join(text_model_dir, WEIGHTS_FILE)
    stat = os.stat(weights)
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # the folder was rewritten
    assert cache.get(text_model_dir) is not text


def test_a_batch_that_runs_out_of_memory_is_split_until_it_fits(tmp_path, text_model_dir):
    table = reviews(100, seed=4)
    expected_spec = make_spec(tmp_path / "plain", text_model_dir, table, batch_size=32)
    run_inference(expected_spec, RecordedEvents())

    cache = ModelCache()
    model = cache.get(text_model_dir)
    raw_outputs = model.raw_outputs
    seen_sizes = []

    def small_memory(batch):
        seen_sizes.append(len(batch["input_ids"]))
        if seen_sizes[-1] > 5:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return raw_outputs(batch)

    model.raw_outputs = small_memory
    spec = make_spec(tmp_path, text_model_dir, table, batch_size=32)
    result = run_inference(spec, RecordedEvents(), cache=cache)

    assert result["out_of_memory_splits"] > 0 and 32 in seen_sizes and max(size for size in seen_sizes if size <= 5) == 4
    output, expected = read_output(spec.output_path, "parquet"), read_output(expected_spec.output_path, "parquet")
    assert output.column("label").to_pylist() == expected.column("label").to_pylist()
    assert output.column("p_positive").to_pylist() == pytest.approx(expected.column("p_positive").to_pylist(), abs=1e-5)


def test_only_memory_errors_are_retried():
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory"))
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))
