"""The mergeable states that partial evaluation results are made of, and the one rule that merges them.

A partial is a JSON-ready dict computed from some rows' truth and predictions. Partials of
disjoint rows merge into the partial of all of them, field by field, by what a field holds:

- a number, or a list of numbers (nested lists too): counts and sums, added (a 1-D list shorter
  than the other, say item counts that stop at a part's highest item, is padded with zeros);
- a dict: merged key by key; a key only one side has is kept as it is, in first-seen order, so a
  tally ({tag: count}) merged in row order lists its keys as one pass over the rows would;
- a string: a fact every part shares (the target kind), which must be equal;
- moments (`moments_of`): count, mean, sum of squared deviations, min and max, merged with
  Chan's formula, so a variance stays exact for values far from zero (a sum of squares would not);
- a distribution (`distribution_of`): the distinct values with their counts (one or several count
  columns), exact while there are at most `EXACT_DISTINCT_VALUES` of them. Past that the values
  are snapped to a fixed grid, so the state stays bounded however many rows there are, and the
  result does not depend on how the rows were split: a part's snapped values are the snapped
  values of the whole. Two grids:
  * "relative" (errors, targets, ranks): values within a relative 1e-4 of each other share a
    point, so a quantile read from it is within 1e-4 of the value's magnitude;
  * "logit" (probabilities, for curve areas): points evenly spaced in log-odds, `LOGIT_STEP`
    apart, fine near 0 and 1 where a confident model puts most of its scores. Rows snapped
    together tie, and a tie counts half, so ROC AUC is within half the share of positive-negative
    pairs that share a point (`curves.tie_share`) of the exact area: the stated tolerance is
    |ΔAUC| < 1e-4 (about 1e-6 on 50,000 to 200,000 model-like scores). Average precision moves
    a little more, since a merged point's precision is that of its whole block: |ΔAP| < 1e-3
    (at most 5e-5 on the same scores).

A set is snapped exactly when its distinct values are more than `EXACT_DISTINCT_VALUES`,
however it was split, so a sharded evaluation gives the one-pass numbers in every case.

One pass over all the rows is one partial, merged: there is a single definition of each metric.
"""
import math
from functools import reduce

import numpy as np

EXACT_DISTINCT_VALUES = 16_384
RELATIVE_STEP = 2e-4  # log-spacing of the relative grid: a value is within e^(1e-4) - 1 of its point
LOGIT_STEP = 1e-3
LOGIT_LIMIT = 30.0  # probabilities beyond 1e-13 of 0 or 1 share the last point


def merged(partials: list):
    """The partial of all the partials' rows (partials in row order)."""
    return reduce(_merged_pair, partials)


def _merged_pair(first, second):
    if isinstance(first, dict):
        if first.get("merge") == "moments":
            return _merged_moments(first, second)
        if first.get("merge") == "distribution":
            return _merged_distributions(first, second)
        return {
            key: _merged_pair(first[key], second[key]) if key in first and key in second else first.get(key, second.get(key))
            for key in dict.fromkeys([*first, *second])
        }
    if isinstance(first, str):
        if first != second:
            raise ValueError(f"partials of different evaluations cannot be merged: {first!r} and {second!r}")
        return first
    if isinstance(first, list):
        if first and isinstance(first[0], dict):
            return [_merged_pair(a, b) for a, b in zip(first, second, strict=True)]
        first, second = np.asarray(first), np.asarray(second)
        if first.ndim == second.ndim == 1 and first.size != second.size:
            size = max(first.size, second.size)
            first, second = np.pad(first, (0, size - first.size)), np.pad(second, (0, size - second.size))
        return np.add(first, second).tolist()
    return first + second


# --- moments -----------------------------------------------------------------------------------

def moments_of(values) -> dict:
    values = np.asarray(values, float).ravel()
    if not values.size:
        return {"merge": "moments", "count": 0, "mean": 0.0, "m2": 0.0, "min": math.inf, "max": -math.inf}
    mean = values.mean()
    return {
        "merge": "moments", "count": int(values.size), "mean": float(mean),
        "m2": float(np.sum((values - mean) ** 2)), "min": float(values.min()), "max": float(values.max()),
    }


def _merged_moments(first: dict, second: dict) -> dict:
    count = first["count"] + second["count"]
    if not first["count"] or not second["count"]:
        return dict(first if first["count"] else second)
    delta = second["mean"] - first["mean"]
    return {
        "merge": "moments",
        "count": count,
        "mean": first["mean"] + delta * second["count"] / count,
        "m2": first["m2"] + second["m2"] + delta**2 * first["count"] * second["count"] / count,
        "min": min(first["min"], second["min"]),
        "max": max(first["max"], second["max"]),
    }


def variance(moments: dict) -> float:
    return moments["m2"] / moments["count"]


# --- distributions -----------------------------------------------------------------------------

def distribution_of(values, *columns, grid: str) -> dict:
    """The distinct values (ascending) with, per column, the sum of its weights at each value;
    with no column given, the count of each value."""
    values = np.asarray(values, float).ravel()
    columns = [np.asarray(column, np.int64).ravel() for column in columns] or [np.ones(values.size, np.int64)]
    return _distribution(values, columns, grid, binned=False)


def _distribution(values: np.ndarray, columns: list[np.ndarray], grid: str, *, binned: bool) -> dict:
    distinct, inverse = np.unique(values, return_inverse=True)
    if not binned and distinct.size > EXACT_DISTINCT_VALUES:
        return _distribution(_snapped(values, grid), columns, grid, binned=True)
    counts = [np.bincount(inverse, weights=column, minlength=distinct.size).astype(np.int64) for column in columns]
    return {
        "merge": "distribution", "grid": grid, "binned": binned,
        "values": distinct.tolist(), "counts": [column.tolist() for column in counts],
    }


def _merged_distributions(first: dict, second: dict) -> dict:
    if first["grid"] != second["grid"] or len(first["counts"]) != len(second["counts"]):
        raise ValueError("distributions of different quantities cannot be merged")
    binned = first["binned"] or second["binned"]
    values = np.concatenate([np.asarray(first["values"], float), np.asarray(second["values"], float)])
    if binned:
        values = _snapped(values, first["grid"])
    columns = [np.concatenate([np.asarray(a, np.int64), np.asarray(b, np.int64)]) for a, b in zip(first["counts"], second["counts"])]
    return _distribution(values, columns, first["grid"], binned=binned)


def _snapped(values: np.ndarray, grid: str) -> np.ndarray:
    """Each value's grid point; a grid point is its own (so snapping twice changes nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if grid == "logit":
            probability = np.clip(values, 0.0, 1.0)
            log_odds = np.clip(np.log(probability) - np.log1p(-probability), -LOGIT_LIMIT, LOGIT_LIMIT)
            return 1.0 / (1.0 + np.exp(-np.round(log_odds / LOGIT_STEP) * LOGIT_STEP))
        if grid == "relative":
            magnitude = np.abs(values)
            point = np.exp(np.round(np.log(magnitude) / RELATIVE_STEP) * RELATIVE_STEP)
            return np.where(magnitude > 0, np.sign(values) * point, 0.0)
    raise ValueError(f"no grid {grid!r}")


def distribution_arrays(distribution: dict) -> tuple[np.ndarray, list[np.ndarray]]:
    return np.asarray(distribution["values"], float), [np.asarray(column, np.int64) for column in distribution["counts"]]


def distribution_quantiles(distribution: dict, levels) -> np.ndarray:
    """np.quantile's default (linear) estimate of each level, over the values with their counts."""
    values, (counts,) = distribution_arrays(distribution)
    cumulative = np.cumsum(counts)
    position = (cumulative[-1] - 1) * np.asarray(levels, float)
    below = np.floor(position)
    lower = values[np.searchsorted(cumulative, below, side="right")]
    upper = values[np.searchsorted(cumulative, np.minimum(below + 1, cumulative[-1] - 1), side="right")]
    fraction = position - below
    # np.quantile's interpolation, term for term, so one exact part gives its very numbers
    return np.where(fraction >= 0.5, upper - (upper - lower) * (1 - fraction), lower + (upper - lower) * fraction)
