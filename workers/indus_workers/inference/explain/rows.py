"""Explaining a small table of rows with whichever explainers the model's inputs call for."""
import pyarrow as pa
import torch

from indus_workers.backbones.base import RowFeaturizer
from indus_workers.inference.explain.tabular import feature_contributions, tabular_featurizer_of
from indus_workers.inference.explain.target import ExplanationUnsupported, choose_outputs
from indus_workers.inference.explain.text import text_encoder_of, token_attributions
from indus_workers.model import IndusModel

__all__ = ["ExplanationUnsupported", "explain_rows"]


def explain_rows(model: IndusModel, table: pa.Table, row_numbers: list[int], ids: list | None = None) -> list[dict]:
    """One explanation per row of `table` (conformed input rows; `row_numbers` are their
    numbers in the input file, `ids` their ids when the output has an id column)."""
    if model.head.token_level or not isinstance(model.featurizer, RowFeaturizer):
        raise ExplanationUnsupported(f"{model.task.target.kind} predictions have no row-level explanation")
    has_text = text_encoder_of(model) is not None
    has_features = tabular_featurizer_of(model) is not None
    if not (has_text or has_features):
        raise ExplanationUnsupported("the model's inputs are neither text nor tabular features")
    device = next(model.parameters()).device
    batch = {name: tensor.to(device) for name, tensor in model.collate(model.featurize(table, inference=True)).items()}
    chosen, descriptions, outputs = choose_outputs(model, batch)
    explanations = [
        {"row": row, **({"id": ids[index]} if ids is not None else {}), "explained": description, "output": output}
        for index, (row, description, output) in enumerate(zip(row_numbers, descriptions, outputs))
    ]
    with torch.enable_grad():
        if has_text:
            for explanation, attributions in zip(explanations, token_attributions(model, batch, chosen)):
                explanation.update(attributions)
    if has_features:
        for explanation, reasons in zip(explanations, feature_contributions(model, batch, chosen, table)):
            explanation.update(reasons)
    return explanations
