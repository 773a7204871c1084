"""Drawing labels in exact proportions."""
import numpy as np


def in_shares(shares, rows: int, rng: np.random.Generator) -> np.ndarray:
    """`rows` indices into `shares`, each index as often as its share says (to the nearest
    row), in random order. Unlike independent draws, a small sample still holds every class
    in proportion, so it passes a task's rows-per-class minimum whenever a large one does."""
    cumulative = np.cumsum(shares) / np.sum(shares)
    positions = (np.arange(rows) + 0.5) / rows
    return rng.permutation(np.minimum(np.searchsorted(cumulative, positions), len(cumulative) - 1))
