"""Areas under the ROC and precision-recall curves of one score against a yes/no truth.

Both curves come from one table of the distinct scores with the positives and negatives at
each (a "logit" distribution, see `partials`): tables of disjoint rows merge by adding counts,
so parts of a data set each make theirs. Rows with the same score cross every threshold
together (one point per distinct score), which is how scikit-learn's `roc_auc_score` and
`average_precision_score` count ties; on an exact table their results agree with these.
"""
import numpy as np

from indus_workers.evaluation.partials import distribution_arrays, distribution_of


def score_table(is_positive: np.ndarray, scores: np.ndarray) -> dict:
    is_positive = np.asarray(is_positive, bool)
    return distribution_of(scores, is_positive, ~is_positive, grid="logit")


def curve_areas(table: dict) -> tuple[float | None, float | None]:
    """(ROC AUC, average precision). ROC AUC is None unless the truth has both positives and
    negatives; average precision is None when it has no positive (recall is then undefined)."""
    _, (positives_at, negatives_at) = distribution_arrays(table)
    # thresholds from the highest score down: the rows at or above each
    true_positives, false_positives = np.cumsum(positives_at[::-1]), np.cumsum(negatives_at[::-1])
    positives = int(true_positives[-1]) if true_positives.size else 0
    negatives = int(false_positives[-1]) if false_positives.size else 0
    if positives == 0:
        return None, None
    recall = np.r_[0.0, true_positives / positives]
    # Average precision: precision at each threshold, weighted by the recall it adds (no
    # interpolation), the definition scikit-learn uses.
    average_precision = float(np.sum(np.diff(recall) * (true_positives / (true_positives + false_positives))))
    if negatives == 0:
        return None, average_precision
    false_positive_rate = np.r_[0.0, false_positives / negatives]
    return float(np.trapezoid(recall, false_positive_rate)), average_precision


def tie_share(table: dict) -> float:
    """The share of positive-negative pairs with the same score. A tie counts half in ROC AUC,
    so an area from a snapped (binned) table is within half this share of the exact one."""
    _, (positives_at, negatives_at) = distribution_arrays(table)
    pairs = positives_at.sum() * negatives_at.sum()
    return float(np.dot(positives_at, negatives_at) / pairs) if pairs else 0.0
