"""Seeded train/validation/test splits, stratified by class where the target has classes."""
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from indus.plugins.contract import TargetKind

STRATIFIED_KINDS = {TargetKind.CLASSES, TargetKind.ORDINAL}


@dataclass(frozen=True)
class Splits:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


def split_rows(
    row_count: int, *, seed: int, validation_fraction: float, test_fraction: float, strata=None
) -> Splits:
    """Indices of each split. `strata` (one label per row) keeps class shares equal across
    splits; it is dropped when a class is too rare to appear in every split."""
    indices = np.arange(row_count)
    if strata is not None and np.min(np.unique(strata, return_counts=True)[1]) < 3:
        strata = None
    rest, test = _split(indices, test_fraction, seed, strata)
    rest_strata = None if strata is None else np.asarray(strata)[rest]
    train, validation = _split(rest, validation_fraction / (1 - test_fraction), seed, rest_strata)
    return Splits(train=np.sort(train), validation=np.sort(validation), test=np.sort(test))


def split_by_time(order_keys, *, validation_fraction: float, test_fraction: float) -> Splits:
    """For forecasting: the latest examples are the test set, the ones before validation, so
    no model is scored on a period it has seen."""
    order = np.argsort(np.asarray(order_keys), kind="stable")
    count = len(order)
    test_start = count - max(1, int(round(count * test_fraction)))
    validation_start = test_start - max(1, int(round(count * validation_fraction)))
    return Splits(
        train=np.sort(order[:validation_start]),
        validation=np.sort(order[validation_start:test_start]),
        test=np.sort(order[test_start:]),
    )


def _split(indices: np.ndarray, fraction: float, seed: int, strata):
    return train_test_split(indices, test_size=fraction, random_state=seed, stratify=strata)
