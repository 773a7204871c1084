"""int8 on the CPU: trusted after agreeing with full precision on a sample, else not used."""
import pytest
import torch
from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

from indus_workers.inference import ModelCache, quantization, run_inference
from tests.workers.inference.conftest import RecordedEvents, logs, make_spec, read_output, reviews


def test_int8_reports_its_agreement_and_is_used_when_it_agrees(tmp_path, text_model_dir):
    table = reviews(600, seed=11)
    cache = ModelCache()
    full = run_inference(make_spec(tmp_path / "full", text_model_dir, table), RecordedEvents(), cache=cache)
    events = RecordedEvents()
    spec = make_spec(tmp_path, text_model_dir, table, int8=True)
    result = run_inference(spec, events, cache=cache)

    report = result["int8"]
    assert report["sample_rows"] == quantization.SAMPLE_ROWS and report["agreement"] >= 0.99 and report["used"] is True
    assert "computing in int8" in logs(events)
    assert full["int8"] is None
    int8_labels = read_output(spec.output_path, "parquet").column("label").to_pylist()
    full_labels = read_output(tmp_path / "full" / "out.parquet", "parquet").column("label").to_pylist()
    assert sum(a == b for a, b in zip(int8_labels, full_labels)) / len(full_labels) >= 0.99
    quantized = cache.get(text_model_dir, int8=True)
    assert isinstance(quantized.head.scorer[1], DynamicLinear)


def test_int8_falls_back_to_full_precision_below_the_threshold(tmp_path, text_model_dir, monkeypatch):
    monkeypatch.setattr("indus_workers.inference.precision.AGREEMENT_THRESHOLD", 1.01)  # nothing can agree enough
    events = RecordedEvents()
    spec = make_spec(tmp_path, text_model_dir, reviews(50, seed=12), int8=True)
    result = run_inference(spec, events)
    assert result["int8"]["used"] is False and result["int8"]["sample_rows"] == 50
    assert "computing in full precision instead" in logs(events)

    full_spec = make_spec(tmp_path / "full", text_model_dir, reviews(50, seed=12))
    run_inference(full_spec, RecordedEvents())
    assert read_output(spec.output_path, "parquet").equals(read_output(full_spec.output_path, "parquet"))


def test_numeric_agreement_allows_a_small_tolerance():
    reference = [{"value": value} for value in (100.0, 200.0, 300.0)]
    assert quantization.agreement(reference, [{"value": value * 1.005} for value in (100.0, 200.0, 300.0)]) == 1.0
    assert quantization.agreement(reference, [{"value": 100.0}, {"value": 260.0}, {"value": 300.0}]) == pytest.approx(2 / 3)
    assert quantization.agreement([{"label": "a"}, {"label": "b"}], [{"label": "a"}, {"label": "a"}]) == 0.5


@pytest.mark.skipif(not quantization.cpu_has_vnni(), reason="8-bit activations are only used, and only safe, with VNNI")
def test_with_vnni_activations_use_all_8_bits_and_halve_the_error(monkeypatch):
    torch.manual_seed(0)
    layer = torch.nn.Sequential(torch.nn.Linear(384, 384))
    inputs = torch.randn(64, 384) * torch.linspace(0.1, 4.0, 384)  # uneven channels, as after a LayerNorm
    exact = layer(inputs).detach()

    def error_with(vnni: bool) -> float:
        monkeypatch.setattr(quantization, "cpu_has_vnni", lambda: vnni)
        quantized = quantization.quantized_copy(layer)
        assert type(quantized[0]) is (quantization.FullRangeDynamicLinear if vnni else DynamicLinear)
        return float((quantized(inputs) - exact).abs().mean())

    seven_bits, eight_bits = error_with(False), error_with(True)
    assert eight_bits < 0.7 * seven_bits


def test_a_cache_holding_bf16_weights_refuses_an_int8_copy_it_would_quantise_from_them(text_model_dir):
    cache = ModelCache(weights_dtype=torch.bfloat16)
    with pytest.raises(ValueError, match="quantised from float32 weights"):
        cache.get(text_model_dir, int8=True)
    assert len(cache) == 0
