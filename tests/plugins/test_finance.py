"""The finance plugin: it loads, declaring it stays light, and its sample data is
deterministic, valid for its task, shaped as documented and learnable but not trivially."""
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from indus.plugins.manager import build_registry
from indus_finance import samples

FINANCE_TASKS = {"finance.credit_scoring", "finance.fraud_detection", "finance.news_sentiment"}


@pytest.fixture(scope="module")
def finance():
    entry_point = EntryPoint(name="finance", value="indus_finance.plugin", group="indus")
    return build_registry(entry_points_=[entry_point], allow=None)


def test_the_plugin_loads_lightly_with_a_sample_for_every_task(finance, check_plugin):
    check_plugin(finance, "finance", FINANCE_TASKS)


@pytest.mark.parametrize("sample_name", ["finance.credit_applications", "finance.card_transactions", "finance.news_headlines"])
def test_the_sample_honours_its_task(finance, check_sample, sample_name):
    check_sample(finance, sample_name)


def band_index(finance, table):
    bands = finance.tasks["finance.credit_scoring"].target.labels
    return np.array([bands.index(band) for band in table.column("risk_band").to_pylist()])


def test_risk_bands_hold_their_documented_shares_and_rise_with_debt(finance):
    table = samples.credit_applications(rows=2000, seed=3)
    band = band_index(finance, table)
    cumulative = np.cumsum(np.bincount(band, minlength=4) / len(band))[:-1]
    assert cumulative == pytest.approx(samples.RISK_BAND_CUMULATIVE_SHARES, abs=0.01)
    for column in ("debt_to_income", "credit_utilization", "delinquencies_2y"):
        values = table.column(column).to_numpy()
        means = [values[band == level].mean() for level in range(4)]
        assert means == sorted(means), f"{column} should rise from band to band"


def test_the_loan_purpose_in_words_moves_the_band(finance):
    table = samples.credit_applications(rows=3000, seed=4)
    band = band_index(finance, table)
    purposes = [text.lower() for text in table.column("loan_purpose").to_pylist()]

    def mean_band(*words):
        rows = [i for i, text in enumerate(purposes) if any(word in text for word in words)]
        assert len(rows) > 50
        return band[rows].mean()

    assert mean_band("rent", "payday", "arrears") > mean_band("kitchen", "roof", "renovation", "solar") + 0.5


def test_the_applicant_figures_predict_the_band_well_but_not_perfectly(finance, tabular_baseline):
    task = finance.tasks["finance.credit_scoring"]
    truth, probabilities, classes = tabular_baseline(task, samples.credit_applications(rows=1500, seed=5))
    accuracy = np.mean(classes[probabilities.argmax(axis=1)] == truth)
    majority = max(np.mean(truth == label) for label in classes)
    assert majority + 0.1 < accuracy < 0.9


def test_fraud_is_about_two_percent_and_never_below_the_class_minimum(finance):
    task = finance.tasks["finance.fraud_detection"]
    positive = task.presentation.positive_label
    large = samples.card_transactions(rows=5000, seed=6).column("fraud_status").to_pylist()
    assert large.count(positive) / len(large) == pytest.approx(samples.FRAUD_RATE, abs=0.002)
    small = samples.card_transactions(rows=60, seed=6).column("fraud_status").to_pylist()
    assert small.count(positive) >= task.target.min_rows_per_class


def test_fraud_is_found_by_combining_signals(finance, tabular_baseline):
    from sklearn.metrics import average_precision_score, roc_auc_score

    task = finance.tasks["finance.fraud_detection"]
    truth, probabilities, classes = tabular_baseline(
        task, samples.card_transactions(rows=4000, seed=7), class_weight="balanced"
    )
    is_fraud = truth == task.presentation.positive_label
    fraud_probability = probabilities[:, list(classes).index(task.presentation.positive_label)]
    assert roc_auc_score(is_fraud, fraud_probability) > 0.85
    # Far above the 2% a random ranking scores, far from the 1.0 of a giveaway column.
    assert 10 * is_fraud.mean() < average_precision_score(is_fraud, fraud_probability) < 0.9


def test_headlines_are_read_by_words_and_contrasts_need_their_order(finance, bag_of_words_baseline):
    task = finance.tasks["finance.news_sentiment"]
    table = samples.news_headlines(rows=2000, seed=8)
    truth, probabilities, classes = bag_of_words_baseline(task, table, "headline")
    correct = classes[probabilities.argmax(axis=1)] == truth
    majority = max(np.mean(truth == label) for label in classes)
    assert correct.mean() > majority + 0.2
    contrast = np.array([" but " in headline.lower() for headline in table.column("headline").to_pylist()])
    assert contrast.sum() > 100
    assert correct[contrast].mean() < correct[~contrast].mean() - 0.1
