"""Metrics for real-valued targets: one value, quantiles of a value, a multi-step forecast.

A quantile prediction is judged twice: as a distribution (pinball loss, and how often the
truth falls inside the predicted interval) and as a point, through its median, so that a
quantile model can be compared on MAE with a plain regression one.

Every metric is a sum over values divided at the end, so parts' partials (`*_partial`) add up;
the error percentiles and the baseline's median come from value distributions (`partials`).
"""
import numpy as np

from indus.plugins.contract import Task
from indus_workers.evaluation.partials import (
    distribution_arrays,
    distribution_of,
    distribution_quantiles,
    moments_of,
    variance,
)


def _float_array(values, name: str) -> np.ndarray:
    array = np.asarray(values, float)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    return array


def _point_partial(truth: np.ndarray, estimate: np.ndarray) -> dict:
    """Sums of a point estimate's errors (flat arrays), and the distribution of their sizes."""
    error = estimate - truth
    nonzero = truth != 0
    return {
        "values": int(truth.size),
        "error_sum": float(error.sum()),
        "absolute_error_sum": float(np.sum(np.abs(error))),
        "squared_error_sum": float(np.sum(error**2)),
        "nonzero_truths": int(nonzero.sum()),
        "percentage_error_sum": float(np.sum(np.abs(error[nonzero]) / np.abs(truth[nonzero]))),
        "absolute_errors": distribution_of(np.abs(error), grid="relative"),
    }


def _point_errors(point: dict, truth_moments: dict) -> dict:
    values, spread = point["values"], truth_moments["m2"]
    return {
        "mae": point["absolute_error_sum"] / values,
        "rmse": float(np.sqrt(point["squared_error_sum"] / values)),
        # A fraction (0.1 is 10%), as scikit-learn returns it. Rows whose truth is 0 have no
        # percentage error and are left out rather than divided by zero.
        "mape": point["percentage_error_sum"] / point["nonzero_truths"] if point["nonzero_truths"] else None,
        # R² compares with predicting the mean; a constant truth leaves nothing to explain.
        "r2": 1.0 - point["squared_error_sum"] / spread if spread > 0 else None,
    }


def _error_summary(point: dict, truth_moments: dict) -> dict:
    p50, p90, p99 = distribution_quantiles(point["absolute_errors"], (0.5, 0.9, 0.99))
    return {
        "rows": point["values"],
        "bias": point["error_sum"] / point["values"],  # positive: the model over-predicts on average
        "absolute_error": {"p50": float(p50), "p90": float(p90), "p99": float(p99)},
        "truth": {
            "mean": truth_moments["mean"], "std": float(np.sqrt(variance(truth_moments))),
            "min": truth_moments["min"], "max": truth_moments["max"],
        },
    }


def regression_partial(task: Task, truth, predictions: dict) -> dict:
    truth = _float_array(truth, "truth").ravel()
    value = _float_array(predictions["value"], "predictions['value']").ravel()
    if value.shape != truth.shape:
        raise ValueError(f"predictions['value'] has {value.size} values for {truth.size} rows")
    return {"point": _point_partial(truth, value)}


def regression_scores(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    moments = truth_partial["moments"]
    return _point_errors(partial["point"], moments), {"summary": _error_summary(partial["point"], moments)}


def _pinball(truth: np.ndarray, quantile_predictions: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The pinball loss of each prediction, shaped like quantile_predictions (..., quantiles)."""
    shortfall = truth[..., None] - quantile_predictions  # positive where the truth lies above
    return np.maximum(levels * shortfall, (levels - 1.0) * shortfall)


def _quantile_levels(task: Task, columns: int) -> np.ndarray:
    levels = np.asarray(task.target.quantiles, float)
    if levels.size != columns:
        raise ValueError(f"the task has {levels.size} quantiles but the predictions have {columns}")
    return levels


def _quantile_partial(task: Task, truth: np.ndarray, quantile_predictions: np.ndarray) -> tuple[dict, np.ndarray, np.ndarray]:
    """Sums over every value, and the median's absolute error and whether the truth lay inside
    the interval, value by value (shaped like truth), for per-step sums."""
    levels = _quantile_levels(task, quantile_predictions.shape[-1])
    median = quantile_predictions[..., np.argmin(np.abs(levels - 0.5))]
    # Crossed quantiles (a 10th percentile above the 90th) would make [lowest, highest] empty.
    # The row's smallest and largest predictions are that interval when nothing crosses, and
    # the interval a sorted (rearranged) prediction would give when something does.
    lower, upper = quantile_predictions.min(axis=-1), quantile_predictions.max(axis=-1)
    inside = (truth >= lower) & (truth <= upper)
    in_level_order = quantile_predictions[..., np.argsort(levels)]
    by_value = (-1, levels.size)
    partial = {
        "point": _point_partial(truth.ravel(), median.ravel()),
        "pinball_sums": _pinball(truth, quantile_predictions, levels).reshape(by_value).sum(axis=0).tolist(),
        "below_counts": (truth[..., None] <= quantile_predictions).reshape(by_value).sum(axis=0).tolist(),
        "inside": int(inside.sum()),
        "crossed": int((np.diff(in_level_order, axis=-1) < 0).any(axis=-1).sum()),
        "interval_width_sum": float(np.sum(upper - lower)),
    }
    return partial, np.abs(median - truth), inside


def _quantile_fit(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    levels = np.asarray(task.target.quantiles, float)
    point, values = partial["point"], partial["point"]["values"]
    has_interval = levels.size > 1
    pinball_by_level = np.asarray(partial["pinball_sums"]) / values
    share_below_by_level = np.asarray(partial["below_counts"]) / values
    metrics = {
        **_point_errors(point, truth_partial["moments"]),
        "pinball_loss": float(pinball_by_level.mean()),
        "coverage": partial["inside"] / values if has_interval else None,
        "nominal_coverage": float(levels.max() - levels.min()) if has_interval else None,
    }
    reports = {
        "summary": _error_summary(point, truth_partial["moments"]),
        "quantiles": [
            # share_below should be close to the level itself when the quantile is calibrated
            {"quantile": float(level), "pinball_loss": float(loss), "share_below": float(share_below)}
            for level, loss, share_below in zip(levels, pinball_by_level, share_below_by_level)
        ],
        "crossing_share": partial["crossed"] / values,
        "mean_interval_width": partial["interval_width_sum"] / values,
    }
    return metrics, reports


def _checked_quantiles(truth, predictions: dict, truth_dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    truth = _float_array(truth, "truth")
    quantile_predictions = _float_array(predictions["quantiles"], "predictions['quantiles']")
    if truth.ndim != truth_dimensions or quantile_predictions.shape[:-1] != truth.shape:
        shapes = f"predictions['quantiles'] {quantile_predictions.shape}, truth {truth.shape}"
        raise ValueError(f"{shapes}: the predictions must have truth's shape plus one quantile axis")
    return truth, quantile_predictions


def quantiles_partial(task: Task, truth, predictions: dict) -> dict:
    partial, _, _ = _quantile_partial(task, *_checked_quantiles(truth, predictions, truth_dimensions=1))
    return partial


def quantiles_scores(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    return _quantile_fit(task, partial, truth_partial)


def forecast_partial(task: Task, truth, predictions: dict) -> dict:
    """Truth (series, horizon) against quantiles (series, horizon, quantiles). Parts must hold
    whole windows; the sums add up over windows however they were split."""
    partial, median_absolute_error, inside = _quantile_partial(task, *_checked_quantiles(truth, predictions, truth_dimensions=2))
    partial["step_absolute_error_sums"] = median_absolute_error.sum(axis=0).tolist()
    partial["step_inside"] = inside.sum(axis=0).tolist()
    return partial


def forecast_scores(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    """The quantile metrics over every step, and per step how error and coverage grow with the horizon."""
    metrics, reports = _quantile_fit(task, partial, truth_partial)
    series = partial["point"]["values"] // len(partial["step_inside"])
    has_interval = len(task.target.quantiles) > 1
    reports["horizon"] = [
        {"step": step, "mae": step_error / series, "coverage": step_inside / series if has_interval else None}
        for step, (step_error, step_inside) in enumerate(
            zip(partial["step_absolute_error_sums"], partial["step_inside"]), start=1
        )
    ]
    return metrics, reports


def truth_values(task: Task, truth) -> dict:
    """The truth's mergeable state for summaries and the baseline: its moments and distribution."""
    truth = _float_array(truth, "truth").ravel()
    return {"moments": moments_of(truth), "values": distribution_of(truth, grid="relative")}


def constant_baseline(task: Task, truth_partial: dict) -> dict:
    """What one number (or one set of quantiles) for every row scores, taken from the truth
    itself: the median for MAE, the mean for RMSE, the truth's own quantiles for pinball loss."""
    values, (counts,) = distribution_arrays(truth_partial["values"])
    rows = counts.sum()
    (median,) = distribution_quantiles(truth_partial["values"], (0.5,))
    baseline = {
        "strategy": "constant",
        "mae_of_median": float(counts @ np.abs(values - median) / rows),
        "rmse_of_mean": float(np.sqrt(variance(truth_partial["moments"]))),
    }
    if levels := task.target.quantiles:
        levels = np.asarray(levels, float)
        losses = _pinball(values, distribution_quantiles(truth_partial["values"], levels), levels)
        baseline["pinball_loss_of_truth_quantiles"] = float((counts @ losses).mean() / rows)
    return baseline
