"""Areas under the ROC and precision-recall curves of one score against a yes/no truth.

Both curves come from the same descending sort, so a class costs one O(n log n) pass however
many areas are asked for. Rows with the same score cross every threshold together (one point
per distinct score), which is how scikit-learn's `roc_auc_score` and `average_precision_score`
count ties; their results agree with these.
"""
import numpy as np


def curve_areas(is_positive: np.ndarray, scores: np.ndarray) -> tuple[float | None, float | None]:
    """(ROC AUC, average precision). ROC AUC is None unless the truth has both positives and
    negatives; average precision is None when it has no positive (recall is then undefined)."""
    is_positive = np.asarray(is_positive, bool)
    scores = np.asarray(scores, float)
    positives = int(is_positive.sum())
    negatives = is_positive.size - positives
    if positives == 0:
        return None, None

    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    threshold_ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1]
    true_positives = np.cumsum(is_positive[order])[threshold_ends]
    false_positives = threshold_ends + 1 - true_positives

    recall = np.r_[0.0, true_positives / positives]
    # Average precision: precision at each threshold, weighted by the recall it adds (no
    # interpolation), the definition scikit-learn uses.
    average_precision = float(np.sum(np.diff(recall) * (true_positives / (threshold_ends + 1))))
    if negatives == 0:
        return None, average_precision
    false_positive_rate = np.r_[0.0, false_positives / negatives]
    return float(np.trapezoid(recall, false_positive_rate)), average_precision
