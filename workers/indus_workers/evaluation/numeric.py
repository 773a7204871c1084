"""Metrics for real-valued targets: one value, quantiles of a value, a multi-step forecast.

A quantile prediction is judged twice: as a distribution (pinball loss, and how often the
truth falls inside the predicted interval) and as a point, through its median, so that a
quantile model can be compared on MAE with a plain regression one.
"""
import numpy as np

from indus.plugins.contract import Task


def _float_array(values, name: str) -> np.ndarray:
    array = np.asarray(values, float)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def point_errors(truth: np.ndarray, estimate: np.ndarray) -> dict:
    error = estimate - truth
    nonzero = truth != 0
    spread = float(np.sum((truth - truth.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        # A fraction (0.1 is 10%), as scikit-learn returns it. Rows whose truth is 0 have no
        # percentage error and are left out rather than divided by zero.
        "mape": float(np.mean(np.abs(error[nonzero]) / np.abs(truth[nonzero]))) if nonzero.any() else None,
        # R² compares with predicting the mean; a constant truth leaves nothing to explain.
        "r2": 1.0 - float(np.sum(error**2)) / spread if spread > 0 else None,
    }


def _error_summary(truth: np.ndarray, estimate: np.ndarray) -> dict:
    error = estimate - truth
    p50, p90, p99 = np.quantile(np.abs(error), (0.5, 0.9, 0.99))
    return {
        "rows": int(truth.size),
        "bias": float(error.mean()),  # positive: the model over-predicts on average
        "absolute_error": {"p50": float(p50), "p90": float(p90), "p99": float(p99)},
        "truth": {statistic: float(getattr(truth, statistic)()) for statistic in ("mean", "std", "min", "max")},
    }


def evaluate_regression(task: Task, truth, predictions: dict) -> tuple[dict, dict]:
    truth = _float_array(truth, "truth").ravel()
    value = _float_array(predictions["value"], "predictions['value']").ravel()
    if value.shape != truth.shape:
        raise ValueError(f"predictions['value'] has {value.size} values for {truth.size} rows")
    return point_errors(truth, value), {"summary": _error_summary(truth, value)}


def _pinball(truth: np.ndarray, quantile_predictions: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The pinball loss of each prediction, shaped like quantile_predictions (..., quantiles)."""
    shortfall = truth[..., None] - quantile_predictions  # positive where the truth lies above
    return np.maximum(levels * shortfall, (levels - 1.0) * shortfall)


def _quantile_levels(task: Task, columns: int) -> np.ndarray:
    levels = np.asarray(task.target.quantiles, float)
    if levels.size != columns:
        raise ValueError(f"the task has {levels.size} quantiles but the predictions have {columns}")
    return levels


def _quantile_fit(
    task: Task, truth: np.ndarray, quantile_predictions: np.ndarray
) -> tuple[dict, dict, np.ndarray, np.ndarray]:
    """Metrics and reports over every value, and the median's absolute error and whether the
    truth lay inside the interval, value by value (shaped like truth), for per-step reports."""
    levels = _quantile_levels(task, quantile_predictions.shape[-1])
    median = quantile_predictions[..., np.argmin(np.abs(levels - 0.5))]
    pinball_by_level = _pinball(truth, quantile_predictions, levels).reshape(-1, levels.size).mean(axis=0)
    # Crossed quantiles (a 10th percentile above the 90th) would make [lowest, highest] empty.
    # The row's smallest and largest predictions are that interval when nothing crosses, and
    # the interval a sorted (rearranged) prediction would give when something does.
    lower, upper = quantile_predictions.min(axis=-1), quantile_predictions.max(axis=-1)
    inside = (truth >= lower) & (truth <= upper)
    has_interval = levels.size > 1
    in_level_order = quantile_predictions[..., np.argsort(levels)]
    share_below_by_level = (truth[..., None] <= quantile_predictions).reshape(-1, levels.size).mean(axis=0)
    metrics = {
        **point_errors(truth.ravel(), median.ravel()),
        "pinball_loss": float(pinball_by_level.mean()),
        "coverage": float(inside.mean()) if has_interval else None,
        "nominal_coverage": float(levels.max() - levels.min()) if has_interval else None,
    }
    reports = {
        "summary": _error_summary(truth.ravel(), median.ravel()),
        "quantiles": [
            # share_below should be close to the level itself when the quantile is calibrated
            {"quantile": float(level), "pinball_loss": float(loss), "share_below": float(share_below)}
            for level, loss, share_below in zip(levels, pinball_by_level, share_below_by_level)
        ],
        "crossing_share": float(np.mean((np.diff(in_level_order, axis=-1) < 0).any(axis=-1))),
        "mean_interval_width": float(np.mean(upper - lower)),
    }
    return metrics, reports, np.abs(median - truth), inside


def _checked_quantiles(truth, predictions: dict, truth_dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    truth = _float_array(truth, "truth")
    quantile_predictions = _float_array(predictions["quantiles"], "predictions['quantiles']")
    if truth.ndim != truth_dimensions or quantile_predictions.shape[:-1] != truth.shape:
        shapes = f"predictions['quantiles'] {quantile_predictions.shape}, truth {truth.shape}"
        raise ValueError(f"{shapes}: the predictions must have truth's shape plus one quantile axis")
    return truth, quantile_predictions


def evaluate_quantiles(task: Task, truth, predictions: dict) -> tuple[dict, dict]:
    metrics, reports, _, _ = _quantile_fit(task, *_checked_quantiles(truth, predictions, truth_dimensions=1))
    return metrics, reports


def evaluate_forecast(task: Task, truth, predictions: dict) -> tuple[dict, dict]:
    """Truth (series, horizon) against quantiles (series, horizon, quantiles): the quantile
    metrics over every step, and per step how error and coverage grow with the horizon."""
    truth, quantile_predictions = _checked_quantiles(truth, predictions, truth_dimensions=2)
    metrics, reports, median_absolute_error, inside = _quantile_fit(task, truth, quantile_predictions)
    has_interval = quantile_predictions.shape[-1] > 1
    errors_by_step, coverage_by_step = median_absolute_error.mean(axis=0), inside.mean(axis=0)
    reports["horizon"] = [
        {"step": step, "mae": float(step_error), "coverage": float(step_coverage) if has_interval else None}
        for step, (step_error, step_coverage) in enumerate(zip(errors_by_step, coverage_by_step), start=1)
    ]
    return metrics, reports


def constant_baseline(task: Task, truth) -> dict:
    """What one number (or one set of quantiles) for every row scores, taken from the truth
    itself: the median for MAE, the mean for RMSE, the truth's own quantiles for pinball loss."""
    truth = _float_array(truth, "truth").ravel()
    baseline = {
        "strategy": "constant",
        "mae_of_median": float(np.mean(np.abs(truth - np.median(truth)))),
        "rmse_of_mean": float(truth.std()),
    }
    if levels := task.target.quantiles:
        levels = np.asarray(levels, float)
        constant_quantiles = np.broadcast_to(np.quantile(truth, levels), (truth.size, levels.size))
        baseline["pinball_loss_of_truth_quantiles"] = float(_pinball(truth, constant_quantiles, levels).mean())
    return baseline
