"""The CUDA paths, on a real GPU (CI has none; these skip there): batch inference in bf16
against a CPU run, a real out-of-memory split, the model cache on the GPU, int8 refused on a
GPU worker, and fine-tuning with mixed precision. Tiny models: the module takes seconds.

Run on a GPU machine without Django: `pytest -p no:django --confcutdir=tests/workers
tests/workers/inference/test_cuda_paths.py` (this folder's conftest gives the saved models)."""
import math

import numpy as np
import pyarrow as pa
import pytest
import torch

from indus_workers.devices import choose_device
from indus_workers.inference import ModelCache, run_inference
from indus_workers.inference.predictor import BatchPredictor
from indus_workers.model import build_model, load_model, save_model
from indus_workers.training import trainer as trainer_module
from indus_workers.training.trainer import train
from tests.workers import builders
from tests.workers.builders import make_task
from tests.workers.inference.conftest import RecordedEvents, applications, logs, make_spec, read_output, reviews
from tests.workers.test_training import review_table, spec_for

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

ON_CUDA = "computing on cuda in bfloat16"
NEVER_STOP = lambda: False  # noqa: E731

# Activations of 8192 per token at 512 tokens: a batch of 256 needs 2 GiB for one feed-forward
# output in bf16 (and as much again for its GELU), a batch of 32 a quarter of a GiB each.
WIDE_FFN_BERT = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 8192}
MEMORY_CAP_BYTES = 1 << 30


def run_on(device: str, tmp_path, model_dir, table, monkeypatch, **spec_fields) -> tuple[dict, pa.Table, RecordedEvents]:
    """The job with every step on `device` (the worker's own choice on "cuda")."""
    with monkeypatch.context() as patch:
        if device == "cpu":
            patch.setattr("indus_workers.inference.runner.choose_device", lambda: choose_device("cpu"))
        events = RecordedEvents()
        spec = make_spec(tmp_path / device, model_dir, table, **spec_fields)
        result = run_inference(spec, events, cache=ModelCache(device=device))
    return result, read_output(spec.output_path, "parquet"), events


def by_id(table: pa.Table, id_column: str) -> dict:
    rows = table.to_pylist()
    return {row[id_column]: row for row in rows}


def assert_each_id_once(output: pa.Table, table: pa.Table, id_column: str) -> None:
    ids = output.column(id_column).to_pylist()
    assert len(ids) == len(set(ids)) == table.num_rows
    assert sorted(ids) == sorted(table.column(id_column).to_pylist())


def test_text_inference_runs_on_cuda_in_bf16_and_matches_the_cpu(tmp_path, text_model_dir, monkeypatch):
    table = reviews(1000, seed=5)
    gpu, gpu_output, gpu_events = run_on("cuda", tmp_path, text_model_dir, table, monkeypatch, id_column="review_id")
    cpu, cpu_output, cpu_events = run_on("cpu", tmp_path, text_model_dir, table, monkeypatch, id_column="review_id")

    assert ON_CUDA in logs(gpu_events) and "computing on cpu in float32" in logs(cpu_events)
    assert gpu["rows"] == cpu["rows"] == 1000 and gpu["out_of_memory_splits"] == 0
    assert_each_id_once(gpu_output, table, "review_id")
    gpu_rows, cpu_rows = by_id(gpu_output, "review_id"), by_id(cpu_output, "review_id")
    same_label = sum(gpu_rows[key]["label"] == cpu_rows[key]["label"] for key in cpu_rows)
    assert same_label >= 0.99 * len(cpu_rows)
    gpu_p = np.array([gpu_rows[key]["p_positive"] for key in cpu_rows])
    cpu_p = np.array([cpu_rows[key]["p_positive"] for key in cpu_rows])
    assert np.abs(gpu_p - cpu_p).max() <= 2e-2
    assert not np.allclose(gpu_p, cpu_p, rtol=0, atol=1e-7), "bf16 on the GPU should differ a little from fp32 on the CPU"


def test_tabular_regression_runs_on_cuda_in_bf16_and_matches_the_cpu(tmp_path, tabular_model_dir, monkeypatch):
    table = applications(1000, seed=5)
    gpu, gpu_output, gpu_events = run_on("cuda", tmp_path, tabular_model_dir, table, monkeypatch, id_column="applicant")
    cpu, cpu_output, _ = run_on("cpu", tmp_path, tabular_model_dir, table, monkeypatch, id_column="applicant")

    assert ON_CUDA in logs(gpu_events)
    assert gpu["rows"] == cpu["rows"] == 1000
    assert_each_id_once(gpu_output, table, "applicant")
    gpu_rows, cpu_rows = by_id(gpu_output, "applicant"), by_id(cpu_output, "applicant")
    gpu_values = np.array([gpu_rows[key]["value"] for key in cpu_rows])
    cpu_values = np.array([cpu_rows[key]["value"] for key in cpu_rows])
    assert np.isfinite(gpu_values).all()
    # bf16 keeps 8 bits of mantissa: within 2% of a value, or of the spread for values near 0.
    np.testing.assert_allclose(gpu_values, cpu_values, rtol=2e-2, atol=2e-2 * cpu_values.std())


@pytest.fixture
def capped_gpu_memory():
    """Caps this process's CUDA allocator at `fraction` of the device; always lifted after."""

    def cap(fraction: float) -> None:
        torch.cuda.empty_cache()
        torch.cuda.set_per_process_memory_fraction(fraction)

    try:
        yield cap
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        torch.cuda.empty_cache()


def long_reviews(rows: int, seed: int) -> pa.Table:
    """Reviews repeated to 600+ words: every row truncates at 512 tokens."""
    table = reviews(rows, seed=seed)
    texts = [" ".join([text] * math.ceil(600 / len(text.split()))) for text in table.column("review").to_pylist()]
    return table.set_column(table.schema.get_field_index("review"), "review", pa.array(texts))


def wide_text_model(folder, table: pa.Table, *, device: str = "cuda", epochs: int = 15) -> str:
    """A text classifier with the wide feed-forward layers, trained on long texts (every position
    up to 512 seen, so its predictions are confident) in bf16 on the GPU: seconds, where the CPU
    would take minutes. Saved from the CPU, as a training job saves."""
    task = make_task("classes", labels=("negative", "positive"), inputs={"review": "text"}, modality="text", target_column="sentiment")
    torch.manual_seed(0)
    model = build_model(task=task, backbone_factory=builders.TEXT_BACKBONE, head_factory=builders.CLASSIFICATION_HEAD,
                        train_table=table, backbone_options={"config": WIDE_FFN_BERT, "max_length": 512}).to(device)
    examples = model.featurize(table)
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(epochs):
        for start in range(0, len(examples), 32):
            batch = {name: value.to(device) for name, value in model.collate(examples[start : start + 32]).items()}
            optimiser.zero_grad()
            with torch.autocast(device, dtype=torch.bfloat16):
                loss = model(**batch)["loss"]
            loss.backward()
            optimiser.step()
    save_model(model.cpu().eval(), folder)
    return str(folder)


def test_a_real_cuda_out_of_memory_is_split_and_the_labels_do_not_change(tmp_path, capped_gpu_memory):
    model_dir = wide_text_model(tmp_path / "wide_model", long_reviews(64, seed=1))
    table = long_reviews(256, seed=6)
    cache = ModelCache()
    uncapped_spec = make_spec(tmp_path / "uncapped", model_dir, table, id_column="review_id", batch_size=256)
    uncapped = run_inference(uncapped_spec, RecordedEvents(), cache=cache)
    assert uncapped["out_of_memory_splits"] == 0

    total = torch.cuda.get_device_properties(0).total_memory
    capped_gpu_memory(MEMORY_CAP_BYTES / total)
    events = RecordedEvents()
    capped_spec = make_spec(tmp_path / "capped", model_dir, table, id_column="review_id", batch_size=256)
    capped = run_inference(capped_spec, events, cache=cache)

    assert ON_CUDA in logs(events)
    assert capped["out_of_memory_splits"] > 0 and capped["rows"] == 256
    expected, output = read_output(uncapped_spec.output_path, "parquet"), read_output(capped_spec.output_path, "parquet")
    assert output.column("review_id").to_pylist() == expected.column("review_id").to_pylist()
    p, expected_p = np.array(output.column("p_positive").to_pylist()), np.array(expected.column("p_positive").to_pylist())
    assert np.abs(p - expected_p).max() <= 2e-2
    labels, expected_labels = output.column("label").to_pylist(), expected.column("label").to_pylist()
    confident = np.abs(expected_p - 0.5) > 0.02
    assert [label for label, keep in zip(labels, confident) if keep] == [
        label for label, keep in zip(expected_labels, confident) if keep
    ]


def test_the_cache_keeps_the_model_on_the_gpu_between_jobs(tmp_path, text_model_dir):
    cache = ModelCache()
    first_events, second_events = RecordedEvents(), RecordedEvents()
    first = run_inference(make_spec(tmp_path / "first", text_model_dir, reviews(50)), first_events, cache=cache)
    model = cache.get(text_model_dir)
    second = run_inference(make_spec(tmp_path / "second", text_model_dir, reviews(50, seed=3)), second_events, cache=cache)

    assert cache.device.type == "cuda"
    assert cache.get(text_model_dir) is model and len(cache) == 1
    assert {parameter.device.type for parameter in model.parameters()} == {"cuda"}
    assert {parameter.dtype for parameter in model.parameters()} == {torch.float32}  # autocast, not a half copy
    assert ON_CUDA in logs(first_events) and ON_CUDA in logs(second_events)
    assert first["rows"] == second["rows"] == 50


def test_int8_on_a_gpu_worker_is_refused_with_its_reason_and_the_job_completes(tmp_path, text_model_dir):
    cache = ModelCache()
    events = RecordedEvents()
    spec = make_spec(tmp_path, text_model_dir, reviews(50), int8=True)
    result = run_inference(spec, events, cache=cache)

    assert result["int8"]["used"] is False and "cuda" in result["int8"]["reason"]
    assert ON_CUDA in logs(events) and "int8 weights" not in logs(events)
    assert len(cache) == 1  # no quantised copy was made
    assert result["rows"] == 50 and read_output(spec.output_path, "parquet").num_rows == 50


def test_fine_tuning_on_cuda_with_bf16_learns_and_the_saved_model_predicts_alike_on_the_cpu(tmp_path, monkeypatch):
    built = []
    build_trainer = trainer_module._build_trainer

    def recording(*args, **kwargs):
        built.append(build_trainer(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(trainer_module, "_build_trainer", recording)
    task = make_task("classes", inputs={"text": "text"}, modality="text", target_column="sentiment", labels=("negative", "positive"))
    table = review_table(240)
    events = RecordedEvents()
    spec = spec_for(tmp_path, task, table, head=builders.CLASSIFICATION_HEAD, backbone=builders.TEXT_BACKBONE,
                    options=builders.TINY_TEXT_OPTIONS, epochs=6)
    result = train(spec, events)

    trainer = built[0]
    assert trainer.args.device.type == "cuda" and trainer.args.bf16 and not trainer.args.fp16
    gpu_model = trainer.model
    assert {parameter.device.type for parameter in gpu_model.parameters()} == {"cuda"}
    assert {parameter.dtype for parameter in gpu_model.parameters()} == {torch.float32}  # fp32 master weights
    losses = [event[3] for event in events.of("metric") if event[1] == "loss"]
    assert len(losses) >= 3 and all(math.isfinite(loss) for loss in losses) and losses[-1] < losses[0]
    assert result["metrics"]["test_accuracy"] > result["reports"]["baseline"]["accuracy"] + 0.15

    cpu_model = load_model(tmp_path / "model")
    assert {parameter.device.type for parameter in cpu_model.parameters()} == {"cpu"}
    gpu_rows = BatchPredictor(gpu_model.eval(), choose_device(), batch_size=64, should_stop=NEVER_STOP).predict(
        gpu_model.featurize(table, inference=True))
    cpu_rows = BatchPredictor(cpu_model, choose_device("cpu"), batch_size=64, should_stop=NEVER_STOP).predict(
        cpu_model.featurize(table, inference=True))
    same_label = sum(gpu["label"] == cpu["label"] for gpu, cpu in zip(gpu_rows, cpu_rows))
    assert same_label >= 0.99 * table.num_rows
    differences = [abs(gpu["probabilities"]["positive"] - cpu["probabilities"]["positive"]) for gpu, cpu in zip(gpu_rows, cpu_rows)]
    assert max(differences) <= 2e-2
    truth = table.column("sentiment").to_pylist()
    assert sum(row["label"] == label for row, label in zip(cpu_rows, truth)) >= 0.85 * table.num_rows
