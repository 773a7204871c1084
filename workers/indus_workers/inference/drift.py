"""Prediction drift: how the inference inputs compare with the data the model was trained on.

Statistics accumulate chunk by chunk (flat memory), and each feature gets a population
stability index (PSI) with the usual verdicts: below 0.1 stable, below 0.25 watch, else shifted.

What the reference can support, and so what is computed:
- Categories and booleans: PSI over the reference profile's top values, one bucket for every
  other value and one for missing values. This is the textbook PSI.
- Numbers: the profile has min, max, mean, missing and top values, but no quantiles, so the
  usual decile bins cannot be rebuilt. When the top values hold nearly all reference rows (a
  discrete number: children, rooms) PSI is computed on them as for categories. Otherwise PSI is
  estimated with both distributions taken as normal: PSI is the symmetric Kullback-Leibler
  divergence in the limit of fine bins, which for normals has a closed form (a shift of d
  standard deviations gives d squared), plus the missing-value bucket. The reference spread is
  the model's own fitted scale (the training split's mean and standard deviation) when the
  featurizer has one; without it the inference spread stands in, which can see a shift in the
  mean but not a change of spread. Skewed or multimodal features are summarised less faithfully;
  the share of values outside the reference range is reported beside it as a plainer signal.
- Text: the profile holds no text statistics today. When a reference column carries
  `length: {mean, std}` (characters; words for token lists) the length gets the same normal
  estimate, and `top_tokens` (a list of words) gives the share of inference words never among
  them; otherwise the verdict is "unknown" and only the inference side is reported.
Identifiers and dates are left out: they are new by nature.

A job split into parts has a monitor per part: `partial()` is its state as JSON, and
`DriftMonitor.merged` adds the parts' states up into one monitor, whose summary is the one a
single monitor over every row gives, without reading any row again.
"""
import math
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indus.plugins.contract import Column
from indus_workers.inference.columns import BOOLEAN_TYPES, CATEGORICAL_TYPES, NUMERIC_TYPES, TEXT_TYPES, TOKENS_TYPES

WATCH_PSI = 0.1
SHIFTED_PSI = 0.25
SMOOTHING = 1e-4  # stands in for an empty bucket's share, so a PSI term never divides by zero
DISCRETE_COVERAGE = 0.95  # top values covering this share of a numeric column make it discrete
MAX_PSI = 10.0  # a constant that moved has an infinite divergence; reported as this
VERDICT_ORDER = ("stable", "watch", "shifted")


def verdict(psi: float | None) -> str:
    if psi is None:
        return "unknown"
    return "stable" if psi < WATCH_PSI else "watch" if psi < SHIFTED_PSI else "shifted"


def psi_of_shares(reference: list[float], inference: list[float]) -> float:
    return float(sum((i - r) * math.log(i / r) for r, i in ((max(r, SMOOTHING), max(i, SMOOTHING)) for r, i in zip(reference, inference))))


def normal_psi(reference_mean: float, reference_std: float, mean: float, std: float) -> float:
    """The symmetric KL divergence between two normal distributions."""
    scale = 1e-9 * (1 + abs(reference_mean) + abs(mean))
    reference_variance, variance = max(reference_std, scale) ** 2, max(std, scale) ** 2
    spread_term = (reference_variance / variance + variance / reference_variance) / 2 - 1
    shift_term = (mean - reference_mean) ** 2 * (1 / reference_variance + 1 / variance) / 2
    return min(MAX_PSI, spread_term + shift_term)


class RunningMoments:
    """Count, mean and sum of squared deviations, merged chunk by chunk (Chan et al.)."""

    def __init__(self):
        self.count, self.mean, self.squares = 0, 0.0, 0.0

    def add(self, values: np.ndarray) -> None:
        if not values.size:
            return
        mean = float(values.mean())
        self.merge(values.size, mean, float(((values - mean) ** 2).sum()))

    @property
    def std(self) -> float:
        return math.sqrt(self.squares / self.count) if self.count else 0.0

    def merge(self, count: int, mean: float, squares: float) -> None:
        """Add the moments of other values (`partial()` of another instance)."""
        if not count:
            return
        total = self.count + count
        delta = mean - self.mean
        self.squares += squares + delta**2 * self.count * count / total
        self.mean += delta * count / total
        self.count = total

    def partial(self) -> list:
        return [self.count, self.mean, self.squares]


def _missing_psi(reference_missing: float, missing: float) -> float:
    return psi_of_shares([reference_missing, 1 - reference_missing], [missing, 1 - missing])


class FeatureDrift:
    kind = ""

    def __init__(self, name: str, reference: dict | None):
        self.name = name
        self.reference = reference or {}
        self.rows = 0
        self.missing = 0

    def reference_missing_share(self, reference_rows: int) -> float:
        return self.reference.get("missing", 0) / reference_rows if reference_rows else 0.0

    def add(self, values: pa.ChunkedArray) -> None:
        self.rows += len(values)
        self.missing += values.null_count
        present = values.drop_null()
        if len(present):
            self.add_present(present)

    def add_present(self, values: pa.ChunkedArray) -> None:
        raise NotImplementedError

    def summary(self, reference_rows: int) -> dict:
        raise NotImplementedError

    def partial(self) -> dict:
        """What this feature has counted, as JSON."""
        return {"rows": self.rows, "missing": self.missing}

    def merge(self, partial: dict) -> None:
        """Add what another instance of this feature counted (its `partial()`)."""
        self.rows += partial["rows"]
        self.missing += partial["missing"]


class TopValuesDrift(FeatureDrift):
    """Counts of the reference's top values, of any other value and of missing ones."""

    kind = "categorical"

    def __init__(self, name: str, reference: dict | None):
        super().__init__(name, reference)
        self.top = [self.key(entry["value"]) for entry in self.reference.get("top_values") or []]
        self.counts: Counter = Counter()  # by key; None counts every other value

    @staticmethod
    def key(value) -> str:
        """Values compare as the training vocabulary does: as text (1 and "1" are one value)."""
        return str(value)

    def add_present(self, values: pa.ChunkedArray) -> None:
        counted = pc.value_counts(values)
        top = set(self.top)
        for value, count in zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()):
            key = self.key(value)
            self.counts[key if key in top else None] += count

    def partial(self) -> dict:
        # JSON keys are text: the other values' count (key None) goes on its own.
        return {**super().partial(), "counts": {key: count for key, count in self.counts.items() if key is not None},
                "other": self.counts[None]}

    def merge(self, partial: dict) -> None:
        super().merge(partial)
        self.counts.update(partial["counts"])
        self.counts[None] += partial["other"]

    def shares(self, reference_rows: int) -> tuple[list[float], list[float]]:
        top_counts = [entry["count"] for entry in self.reference["top_values"]]
        reference_missing = self.reference.get("missing", 0)
        reference_other = reference_rows - reference_missing - sum(top_counts)
        reference = [count / reference_rows for count in [*top_counts, reference_other, reference_missing]]
        rows = max(self.rows, 1)
        inference = [self.counts[value] / rows for value in self.top] + [self.counts[None] / rows, self.missing / rows]
        return reference, inference

    def summary(self, reference_rows: int) -> dict:
        if not self.top or not reference_rows:
            return {"kind": self.kind, "psi": None, "verdict": "unknown", "reason": "the reference profile has no top values"}
        reference, inference = self.shares(reference_rows)
        psi = psi_of_shares(reference, inference)
        return {
            "kind": self.kind, "psi": psi, "verdict": verdict(psi), "method": "top values",
            "missing_share": {"reference": reference[-1], "inference": inference[-1]},
            "other_share": {"reference": reference[-2], "inference": inference[-2]},
        }


class NumericDrift(TopValuesDrift):
    kind = "numeric"

    def __init__(self, name: str, reference: dict | None, scale: dict | None):
        super().__init__(name, reference)
        self.scale = scale  # the model's fitted mean and std of the training split, if any
        self.moments = RunningMoments()
        self.out_of_range = 0

    @staticmethod
    def key(value) -> str:
        return repr(float(value))  # 3 and 3.0 are one value

    def add_present(self, values: pa.ChunkedArray) -> None:
        numbers = values.to_numpy()
        self.moments.add(numbers)
        low, high = self.reference.get("min"), self.reference.get("max")
        if low is not None and high is not None:
            self.out_of_range += int(((numbers < low) | (numbers > high)).sum())
        if self.top:
            super().add_present(values)

    def partial(self) -> dict:
        return {**super().partial(), "moments": self.moments.partial(), "out_of_range": self.out_of_range}

    def merge(self, partial: dict) -> None:
        super().merge(partial)
        self.moments.merge(*partial["moments"])
        self.out_of_range += partial["out_of_range"]

    def is_discrete(self, reference_rows: int) -> bool:
        present = reference_rows - self.reference.get("missing", 0)
        covered = sum(entry["count"] for entry in self.reference.get("top_values") or [])
        return bool(self.top) and present > 0 and covered >= DISCRETE_COVERAGE * present

    def summary(self, reference_rows: int) -> dict:
        if self.is_discrete(reference_rows):
            return super().summary(reference_rows)
        reference_mean = (self.scale or {}).get("mean", self.reference.get("mean"))
        if reference_mean is None or not reference_rows:
            return {"kind": self.kind, "psi": None, "verdict": "unknown", "reason": "the reference profile has no mean"}
        reference_std = (self.scale or {}).get("std", self.moments.std)
        present_share = 1 - self.missing / max(self.rows, 1)
        reference_missing = self.reference_missing_share(reference_rows)
        psi = min(MAX_PSI, _missing_psi(reference_missing, 1 - present_share)
                  + (present_share + 1 - reference_missing) / 2 * normal_psi(reference_mean, reference_std, self.moments.mean, self.moments.std))
        return {
            "kind": self.kind, "psi": psi, "verdict": verdict(psi),
            "method": "normal approximation" + ("" if self.scale else " (inference spread as reference)"),
            "mean": {"reference": reference_mean, "inference": self.moments.mean},
            "std": {"reference": reference_std, "inference": self.moments.std},
            "missing_share": {"reference": reference_missing, "inference": 1 - present_share},
            "out_of_range_share": self.out_of_range / max(self.moments.count, 1),
        }


class TextDrift(FeatureDrift):
    """Length (characters; words for token lists) and, with reference tokens, unseen words."""

    kind = "text"

    def __init__(self, name: str, reference: dict | None):
        super().__init__(name, reference)
        self.lengths = RunningMoments()
        known = self.reference.get("top_tokens")
        self.known_words = {str(word).lower() for word in known} if known else None
        self.words = 0
        self.unseen_words = 0

    def add_present(self, values: pa.ChunkedArray) -> None:
        is_list = pa.types.is_list(values.type)
        lengths = pc.list_value_length(values) if is_list else pc.utf8_length(values)
        self.lengths.add(lengths.to_numpy().astype(np.float64))
        if self.known_words is not None:
            texts = (" ".join(words) for words in values.to_pylist()) if is_list else values.to_pylist()
            for text in texts:
                words = text.lower().split()
                self.words += len(words)
                self.unseen_words += sum(word not in self.known_words for word in words)

    def partial(self) -> dict:
        return {**super().partial(), "lengths": self.lengths.partial(), "words": self.words,
                "unseen_words": self.unseen_words}

    def merge(self, partial: dict) -> None:
        super().merge(partial)
        self.lengths.merge(*partial["lengths"])
        self.words += partial["words"]
        self.unseen_words += partial["unseen_words"]

    def summary(self, reference_rows: int) -> dict:
        result = {"kind": self.kind, "length": {"inference": {"mean": self.lengths.mean, "std": self.lengths.std}}}
        reference_length = self.reference.get("length")
        if self.known_words is not None:
            result["unseen_word_share"] = self.unseen_words / max(self.words, 1)
        if not reference_length:
            return {**result, "psi": None, "verdict": "unknown", "reason": "the reference profile has no text lengths"}
        result["length"]["reference"] = reference_length
        psi = normal_psi(reference_length["mean"], reference_length["std"], self.lengths.mean, self.lengths.std)
        return {**result, "psi": psi, "verdict": verdict(psi), "method": "normal approximation of lengths"}


def numeric_scales_of(featurizer) -> dict[str, dict]:
    """The training split's mean and std of each numeric column, where the featurizer keeps them
    (tabular, time series, and the tabular half of a fusion)."""
    for candidate in (featurizer, getattr(featurizer, "tabular", None)):
        scales = getattr(getattr(candidate, "columns", None), "scales", None)
        if isinstance(scales, dict):
            return scales
    return {}


class DriftMonitor:
    def __init__(self, reference_profile: dict | None, columns: list[Column], *, numeric_scales: dict[str, dict] | None = None):
        self.reference_profile = reference_profile
        by_name = {column["name"]: column for column in (reference_profile or {}).get("columns", [])}
        scales = numeric_scales or {}
        self.features: list[FeatureDrift] = []
        for column in columns:
            reference = by_name.get(column.name)
            if column.type in NUMERIC_TYPES:
                self.features.append(NumericDrift(column.name, reference, scales.get(column.name)))
            elif column.type in CATEGORICAL_TYPES - {"identifier"} or column.type in BOOLEAN_TYPES:
                self.features.append(TopValuesDrift(column.name, reference))
            elif column.type in TEXT_TYPES | TOKENS_TYPES:
                self.features.append(TextDrift(column.name, reference))
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        """The good rows of a chunk, conformed."""
        self.rows += table.num_rows
        for feature in self.features:
            feature.add(table.column(feature.name))

    def partial(self) -> dict:
        """This monitor's statistics as JSON, for `merged` (a part of a job computes them)."""
        return {"rows": self.rows, "features": {feature.name: feature.partial() for feature in self.features}}

    @classmethod
    def merged(cls, partials: list[dict], reference_profile: dict | None, columns: list[Column], *,
               numeric_scales: dict[str, dict] | None = None) -> "DriftMonitor":
        """One monitor holding what the monitors of `partials` counted, each made with these
        arguments: its summary is that of one monitor that saw all of their rows."""
        monitor = cls(reference_profile, columns, numeric_scales=numeric_scales)
        for partial in partials:
            monitor.rows += partial["rows"]
            for feature in monitor.features:
                feature.merge(partial["features"][feature.name])
        return monitor

    def summary(self) -> dict:
        if not self.reference_profile:
            return {"verdict": "unknown", "reason": "no reference profile was given", "rows": self.rows, "features": {}}
        reference_rows = self.reference_profile.get("row_count", 0)
        features = {feature.name: feature.summary(reference_rows) for feature in self.features}
        known = [result["verdict"] for result in features.values() if result["verdict"] in VERDICT_ORDER]
        return {
            "verdict": max(known, key=VERDICT_ORDER.index) if known else "unknown",
            "rows": self.rows,
            "thresholds": {"watch": WATCH_PSI, "shifted": SHIFTED_PSI},
            "shifted": [name for name, result in features.items() if result["verdict"] == "shifted"],
            "watch": [name for name, result in features.items() if result["verdict"] == "watch"],
            "features": features,
        }
