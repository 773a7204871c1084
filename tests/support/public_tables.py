"""Public tables that ship inside Python packages (nothing is downloaded), each as its owner
would export it, under its own column names that match no plugin, with what inferring a
binding of it should find."""
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from palmerpenguins import load_penguins
from sklearn.datasets import load_diabetes, load_wine


@dataclass(frozen=True)
class PublicTable:
    """A public table as its owner would export it, and what inferring a binding of it should find."""

    name: str
    frame: Callable[[], pd.DataFrame]  # in a shuffled order: the last rows are held out
    target: str
    kind: str
    labels: list[str] | None  # sorted; None for a regression
    types: dict[str, str]  # some inputs' inferred types
    id_column: str | None
    held_out: int


def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in a fixed random order: the packages store them sorted by their target."""
    return frame.iloc[np.random.default_rng(3).permutation(len(frame))].reset_index(drop=True)


def vineyard() -> pd.DataFrame:
    data = load_wine(as_frame=True)
    frame = data.frame.drop(columns="target")
    frame.insert(0, "lot", [f"L{index:03d}" for index in range(len(frame))])
    frame["cultivar"] = [("Barolo", "Grignolino", "Barbera")[value] for value in data.target]
    return shuffled(frame)


def progression() -> pd.DataFrame:
    frame = load_diabetes(as_frame=True, scaled=False).frame.rename(columns={"target": "disease progression"})
    frame.insert(0, "record_id", np.random.default_rng(5).permutation(len(frame)) + 10_000)
    return shuffled(frame)


def penguins() -> pd.DataFrame:
    return shuffled(load_penguins())


PUBLIC_TABLES = [
    PublicTable("vineyard", vineyard, "cultivar", "classes", ["Barbera", "Barolo", "Grignolino"],
                {"alcohol": "number", "od280/od315_of_diluted_wines": "number"}, "lot", 38),
    PublicTable("progression", progression, "disease progression", "regression", None,
                {"bmi": "number", "age": "number"}, "record_id", 92),
    PublicTable("penguins", penguins, "species", "classes", ["Adelie", "Chinstrap", "Gentoo"],
                {"island": "category", "sex": "category", "bill_length_mm": "number"}, None, 74),
]
