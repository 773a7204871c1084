"""The verdict follows each metric's declared direction, and a tie beats nothing."""
from indus.plugins.verdict import is_flagged, judge

BASELINES = [
    {"name": "training_median", "family": "trivial", "metrics": {"mae": 57.0, "r2": 0.0}},
    {"name": "hist_gradient_boosting", "family": "classical", "metrics": {"mae": 39.5, "r2": 0.45}},
    {"name": "ridge", "family": "classical", "metrics": {"mae": 44.8, "r2": 0.40}},
]


def verdict_of(metrics, task_metrics=("mae",)):
    return judge(task_metrics, metrics, BASELINES)


def test_lower_is_better_for_an_error_and_the_best_classical_is_the_bar():
    assert verdict_of({"mae": 39.0})["verdict"] == "beats_classical"
    judged = verdict_of({"mae": 42.0})
    assert judged["verdict"] == "beats_trivial_only" and judged["better"] == "lower"
    assert judged["classical"] == {"name": "hist_gradient_boosting", "value": 39.5}
    assert verdict_of({"mae": 57.0})["verdict"] == "not_better_than_trivial"  # a tie is no win
    assert is_flagged(verdict_of({"mae": 60.0}))


def test_the_first_metric_with_a_direction_that_both_report_is_the_one_judged():
    # coverage goes neither way and loss has no baseline: r2, higher is better, is judged.
    judged = verdict_of({"coverage": 0.8, "loss": 0.1, "r2": 0.42, "mae": 30.0}, ("coverage", "loss", "r2", "mae"))
    assert (judged["metric"], judged["better"], judged["verdict"]) == ("r2", "higher", "beats_trivial_only")
    assert verdict_of({"loss": 0.1}, ("loss",))["verdict"] == "unjudged"
    assert not is_flagged(verdict_of({"loss": 0.1}, ("loss",)))
