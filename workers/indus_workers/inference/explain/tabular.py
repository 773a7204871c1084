"""Reason codes for tabular inputs: feature ablation, one input column at a time.

A column is replaced by its neutral value (a number by the training mean, not missing; a
category by the unknown bucket) and the change of the explained output is that column's signed
contribution: positive means the row's value pushed the output up (towards the predicted
class, or a higher value). A number and its missing-indicator are one feature. One forward pass
per column explains the whole batch of rows, so the cost is small and bounded.
"""
import pyarrow as pa
import torch
from captum.attr import FeatureAblation

from indus_workers.backbones.columns import UNKNOWN_ID
from indus_workers.backbones.tabular import TabularFeaturizer
from indus_workers.inference.explain.target import forward_for
from indus_workers.model import IndusModel

MAX_REASON_CODES = 4  # adverse-action notices usually give the four main reasons
TOP_FEATURES = 10


def tabular_featurizer_of(model: IndusModel) -> TabularFeaturizer | None:
    featurizer = model.featurizer
    for candidate in (featurizer, getattr(featurizer, "tabular", None)):
        if isinstance(candidate, TabularFeaturizer):
            return candidate
    return None


def feature_masks(numeric_columns: int, categorical_columns: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Feature ids per input position: a number's value and its missing-indicator share one id;
    categories follow the numbers."""
    numeric = torch.arange(numeric_columns, device=device).repeat(2).unsqueeze(0)
    categories = torch.arange(numeric_columns, numeric_columns + categorical_columns, device=device).unsqueeze(0)
    return numeric, categories


def feature_contributions(model: IndusModel, batch: dict[str, torch.Tensor], chosen: torch.Tensor, table: pa.Table) -> list[dict]:
    """For each row: its features sorted by contribution (strongest push up first) with their
    values, and the reason codes (the features with a positive contribution, strongest first)."""
    columns = tabular_featurizer_of(model).columns
    names = columns.numeric_columns + columns.categorical_columns
    other_names = [name for name in batch if name not in ("numeric", "categories")]
    explainer = FeatureAblation(forward_for(model, ["numeric", "categories", *other_names]))
    with torch.no_grad():
        numeric_attributions, category_attributions = explainer.attribute(
            (batch["numeric"], batch["categories"]),
            baselines=(0.0, UNKNOWN_ID),
            feature_mask=feature_masks(len(columns.numeric_columns), len(columns.categorical_columns), batch["numeric"].device),
            additional_forward_args=(*(batch[name] for name in other_names), chosen),
        )
    contributions = torch.cat([numeric_attributions[:, : len(columns.numeric_columns)], category_attributions], dim=1).tolist()
    values = {name: table.column(name).to_pylist() for name in names}
    results = []
    for row, row_contributions in enumerate(contributions):
        features = sorted(
            ({"feature": name, "value": values[name][row], "contribution": contribution} for name, contribution in zip(names, row_contributions)),
            key=lambda feature: feature["contribution"],
            reverse=True,
        )
        reasons = [feature["feature"] for feature in features if feature["contribution"] > 0][:MAX_REASON_CODES]
        strongest = sorted(features, key=lambda feature: abs(feature["contribution"]), reverse=True)[:TOP_FEATURES]
        results.append({"features": sorted(strongest, key=lambda feature: feature["contribution"], reverse=True), "reason_codes": reasons})
    return results
