"""Drift of the inference inputs against the training profile, accumulated chunk by chunk."""
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from indus.datasets.profiling import DatasetProfiler
from indus.plugins.contract import Column
from indus_workers.inference import run_inference
from indus_workers.inference.drift import DriftMonitor, normal_psi, psi_of_shares, verdict
from indus_workers.model import load_model
from tests.workers.inference.conftest import RecordedEvents, applications, make_spec, reviews

COLUMNS = [Column("income", "number"), Column("age", "integer"), Column("region", "category"),
           Column("is_member", "boolean")]


def platform_profile(table: pa.Table) -> dict:
    """The profile the platform stores with a dataset version, computed by its own profiler
    (a pyarrow-only module: the worker side may import it without Django)."""
    profiler = DatasetProfiler(table.schema)
    for batch in table.to_batches(max_chunksize=100):
        profiler.add(batch)
    return profiler.as_dict()


def drift_of(reference: pa.Table, current: pa.Table, **monitor_options) -> dict:
    monitor = DriftMonitor(platform_profile(reference), COLUMNS, **monitor_options)
    for batch in current.to_batches(max_chunksize=97):  # several chunks, unevenly cut
        monitor.add(pa.Table.from_batches([batch]))
    return monitor.summary()


def test_the_same_distribution_is_stable():
    summary = drift_of(applications(3000, seed=1), applications(2000, seed=2))
    assert summary["verdict"] == "stable" and summary["rows"] == 2000
    assert {name: result["verdict"] for name, result in summary["features"].items()} == dict.fromkeys(
        ["income", "age", "region", "is_member"], "stable")


def test_a_shifted_number_is_shifted_and_named():
    reference = applications(3000, seed=1)
    summary = drift_of(reference, applications(2000, seed=2, income_shift=15_000))  # one standard deviation
    assert summary["verdict"] == "shifted" and summary["shifted"] == ["income"]
    income = summary["features"]["income"]
    assert income["psi"] == pytest.approx(1.0, abs=0.2)  # a shift of d standard deviations: about d squared
    assert income["mean"]["inference"] - income["mean"]["reference"] == pytest.approx(15_000, rel=0.1)
    # The share of inference values outside the reference's [min, max], counted over uneven
    # chunks, is the share counted in one pass; the shift pushes values past the old maximum.
    current = applications(2000, seed=2, income_shift=15_000).column("income")
    outside = pc.or_(pc.less(current, pc.min(reference.column("income"))),
                     pc.greater(current, pc.max(reference.column("income"))))
    expected = pc.sum(outside).as_py() / pc.count(current).as_py()
    assert income["out_of_range_share"] == pytest.approx(expected) and expected > 0
    unshifted = drift_of(reference, applications(2000, seed=2))["features"]["income"]
    assert unshifted["out_of_range_share"] < income["out_of_range_share"]


def test_a_changed_category_mix_and_more_missing_values_show():
    reference = applications(3000, seed=1)
    current = applications(2000, seed=2)
    current = current.set_column(3, "region", pa.array(["north"] * 1800 + ["east"] * 200))
    current = current.set_column(4, "is_member", pa.array([None] * 600 + [True] * 1400, type=pa.bool_()))
    features = drift_of(reference, current)["features"]
    assert features["region"]["verdict"] == "shifted" and features["region"]["method"] == "top values"
    assert features["is_member"]["verdict"] == "shifted"
    assert features["is_member"]["missing_share"]["inference"] == pytest.approx(0.3)


def test_a_discrete_number_is_compared_value_by_value():
    reference = pa.table({"children": [0, 1, 2, 3] * 500})
    monitor = DriftMonitor(platform_profile(reference), [Column("children", "integer")])
    monitor.add(pa.table({"children": pa.array([0.0, 0.0, 0.0, 3.0] * 100)}))
    result = monitor.summary()["features"]["children"]
    assert result["method"] == "top values" and result["verdict"] == "shifted"


def test_the_models_fitted_spread_is_the_reference_spread(tabular_model_dir):
    scales = {"income": load_model(tabular_model_dir).featurizer.columns.scales["income"]}
    summary = drift_of(applications(3000, seed=1), applications(2000, seed=2), numeric_scales=scales)
    assert summary["features"]["income"]["method"] == "normal approximation"
    assert summary["features"]["income"]["std"]["reference"] == scales["income"]["std"]


def test_text_lengths_are_compared_with_the_platform_profile():
    reference = platform_profile(reviews(400, seed=1))
    same = DriftMonitor(reference, [Column("review", "text")])
    same.add(reviews(300, seed=2))
    shorter = DriftMonitor(reference, [Column("review", "text")])
    shorter.add(pa.table({"review": ["ok", "bad", None]}))
    assert same.summary()["features"]["review"]["verdict"] == "stable"
    result = shorter.summary()["features"]["review"]
    assert result["verdict"] == "shifted" and result["length"]["inference"]["mean"] == 2.5


def test_text_lengths_and_unseen_words_with_a_richer_reference():
    reference = {"row_count": 100, "columns": [
        {"name": "review", "missing": 0, "length": {"mean": 20.0, "std": 5.0}, "top_tokens": ["great", "item"]}]}
    monitor = DriftMonitor(reference, [Column("review", "text")])
    monitor.add(pa.table({"review": ["great item " + "x" * 30, "brand new words here today and more"]}))
    result = monitor.summary()["features"]["review"]
    assert result["verdict"] == "shifted" and result["unseen_word_share"] == pytest.approx(8 / 10)


def test_psi_formulas():
    assert psi_of_shares([0.5, 0.5], [0.5, 0.5]) == 0
    assert psi_of_shares([0.5, 0.5], [0.9, 0.1]) == pytest.approx(0.4 * np.log(0.9 / 0.5) - 0.4 * np.log(0.1 / 0.5))
    assert normal_psi(0, 1, 0.5, 1) == pytest.approx(0.25)
    assert normal_psi(3, 0, 3, 0) == 0  # a constant that stayed put
    assert [verdict(0.05), verdict(0.2), verdict(0.3), verdict(None)] == ["stable", "watch", "shifted", "unknown"]


def test_a_job_reports_drift_against_the_profile_it_is_given(tmp_path, tabular_model_dir):
    profile = platform_profile(applications(1000, seed=1))
    current = applications(300, seed=3, income_shift=30_000).drop_columns(["credit_limit"])
    result = run_inference(make_spec(tmp_path, tabular_model_dir, current, reference_profile=profile, rows_per_part=100), RecordedEvents())
    assert result["drift"]["shifted"] == ["income"] and result["drift"]["rows"] == 300
    without = run_inference(make_spec(tmp_path / "none", tabular_model_dir, current), RecordedEvents())
    assert without["drift"]["verdict"] == "unknown"
