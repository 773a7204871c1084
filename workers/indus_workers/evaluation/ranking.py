"""Ranking metrics for one relevant item per row, and the rank helpers classification shares.

A ranking task's truth is the index of the item the user chose; its prediction is a score for
every item in the catalogue. With a single relevant item, recall@k and hit rate@k are the same
number (was the chosen item in the top k?), and NDCG@k reduces to 1 / log2(rank + 2).
Each is a sum over rows, so parts' partials add up; the rank percentiles come from the
distribution of ranks (exact while there are few distinct ranks, see `partials`).
"""
import re

import numpy as np

from indus.plugins.contract import Task
from indus_workers.evaluation.partials import distribution_of, distribution_quantiles

# Rows compared at once: keeps the (rows, items) comparison a few hundred MB at most for a
# large catalogue instead of materialising it for every row.
ROWS_PER_CHUNK = 16_384
CUTOFF_METRIC = re.compile(r"^(?:recall|ndcg|hit_rate)_at_(\d+)$")
CUTOFF_NAMES = ("recall", "hit_rate", "ndcg")


def presentation_top_k(task: Task) -> int:
    return max(1, task.presentation.top_k)


def requested_cutoffs(task: Task, pattern: re.Pattern) -> list[int]:
    """The presentation's top_k plus every k named by a requested metric such as recall_at_5."""
    named = {int(match[1]) for name in task.metrics if (match := pattern.match(name))}
    return sorted({presentation_top_k(task), *(k for k in named if k > 0)})


def truth_ranks(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The 0-based rank of each row's true item among that row's scores, as floats.

    Ties count against the truth, so a model that scores every item alike ranks it last rather
    than first. A truth outside the catalogue, or with a NaN score, gets rank infinity: it is
    never a hit and adds 0 to reciprocal ranks.
    """
    rows, items = scores.shape
    ranks = np.full(rows, np.inf)
    for start in range(0, rows, ROWS_PER_CHUNK):
        block = scores[start : start + ROWS_PER_CHUNK]
        block_truth = truth[start : start + ROWS_PER_CHUNK]
        in_catalogue = (block_truth >= 0) & (block_truth < items)
        true_scores = block[np.arange(len(block)), np.where(in_catalogue, block_truth, 0)]
        rankable = in_catalogue & ~np.isnan(true_scores)
        scored_at_least_as_high = (block >= true_scores[:, None]).sum(axis=1)
        ranks[start : start + len(block)] = np.where(rankable, scored_at_least_as_high - 1, np.inf)
    return ranks


def checked_scores(truth, predictions: dict, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(integer truth, (rows, columns) scores), or ValueError naming what does not fit."""
    truth = np.asarray(truth)
    if truth.ndim != 1 or not np.issubdtype(truth.dtype, np.integer):
        raise ValueError(f"truth must be a 1-D array of integer indices, got {truth.dtype} of shape {truth.shape}")
    scores = np.asarray(predictions[key], float)
    if scores.ndim != 2 or len(scores) != len(truth):
        raise ValueError(f"predictions[{key!r}] must have shape ({len(truth)}, columns), got {scores.shape}")
    return truth.astype(np.int64), scores


def ranking_partial(task: Task, truth, predictions: dict) -> dict:
    truth, scores = checked_scores(truth, predictions, "scores")
    ranks = truth_ranks(scores, truth)
    ranked = ranks[np.isfinite(ranks)] + 1  # 1-based, as people count
    at_cutoffs = {}
    for k in requested_cutoffs(task, CUTOFF_METRIC):
        in_top_k = ranks < k
        at_cutoffs[str(k)] = {
            "hits": int(in_top_k.sum()),
            "ndcg_sum": float(np.sum(np.where(in_top_k, 1.0 / np.log2(ranks + 2), 0.0))),
        }
    return {
        "rows": int(len(truth)),
        "items": str(scores.shape[1]),  # a fact of the model every part shares, not a count
        "reciprocal_rank_sum": float(np.sum(1.0 / (ranks + 1))),
        "at_cutoffs": at_cutoffs,
        "ranks": distribution_of(ranked, grid="relative"),
    }


def ranking_scores(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    rows, top_k = partial["rows"], presentation_top_k(task)
    metrics = {"mrr": partial["reciprocal_rank_sum"] / rows}
    for k, sums in partial["at_cutoffs"].items():
        metrics[f"recall_at_{k}"] = metrics[f"hit_rate_at_{k}"] = sums["hits"] / rows
        metrics[f"ndcg_at_{k}"] = sums["ndcg_sum"] / rows
    for name in CUTOFF_NAMES:
        metrics[f"{name}_at_k"] = metrics[f"{name}_at_{top_k}"]
    ranked_rows = sum(partial["ranks"]["counts"][0])
    median_rank, rank_90th_percentile = (
        distribution_quantiles(partial["ranks"], (0.5, 0.9)).tolist() if ranked_rows else (None, None)
    )
    reports = {
        "summary": {
            "rows": rows,
            "items": int(partial["items"]),
            "k": top_k,
            "median_rank": median_rank,
            "rank_90th_percentile": rank_90th_percentile,
            "unranked_rows": rows - ranked_rows,  # truth outside the catalogue or scored NaN
        }
    }
    return metrics, reports


def item_choices(task: Task, truth) -> dict:
    """The truth's mergeable state for the baseline: how often each item was chosen."""
    truth = np.asarray(truth, np.int64)
    return {"rows": int(truth.size), "choices": np.bincount(truth[truth >= 0]).tolist()}


def popularity_baseline(task: Task, truth_partial: dict) -> dict:
    """Recall@k of recommending the k items chosen most often in this set to everyone: an
    optimistic popularity recommender (it knows this set's popularity), the bar a model must clear."""
    top_k = presentation_top_k(task)
    choices = np.asarray(truth_partial["choices"], np.int64)
    most_chosen = np.argsort(-choices, kind="stable")[:top_k]
    return {
        "strategy": "most_popular",
        "items": [int(item) for item in most_chosen],
        f"recall_at_{top_k}": float(choices[most_chosen].sum() / truth_partial["rows"]),
    }
