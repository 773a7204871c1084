"""What an explanation explains: one number per row, differentiable, that the model computes.

For a head with probabilities it is the log-odds of the predicted class (or level, or most
likely label): a confident model's probability sits near 1 on most of the path between the
baseline and the input, where its gradient vanishes, and log-odds keep the attributions of
a confident prediction readable. For a number it is the predicted value (the median for
quantiles); for ranking, the score of the top item. The choice is made once, on the real input,
and then held fixed while captum perturbs the input, so attributions answer "why this class".
"""
from collections.abc import Callable

import torch

from indus_workers.model import IndusModel

# Probabilities are float32: log-odds are taken of probabilities clamped this far from 0 and 1.
PROBABILITY_FLOOR = 1e-7


class ExplanationUnsupported(Exception):
    """This model's task has no row-level explanation."""


def explained_output(model: IndusModel, predictions: dict[str, torch.Tensor], chosen: torch.Tensor) -> torch.Tensor:
    if "probabilities" in predictions:
        probability = predictions["probabilities"].gather(-1, chosen.unsqueeze(-1)).squeeze(-1)
        probability = probability.clamp(PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
        return torch.log(probability) - torch.log1p(-probability)
    if "value" in predictions and predictions["value"].dim() == 1:
        return predictions["value"]
    if "quantiles" in predictions and predictions["quantiles"].dim() == 2:
        return predictions["quantiles"][:, _median_index(model)]
    if "scores" in predictions:
        return predictions["scores"][:, 0]
    raise ExplanationUnsupported(f"a {model.task.target.kind} prediction has no single output to explain")


def _median_index(model: IndusModel) -> int:
    levels = model.head.levels.tolist()
    return min(range(len(levels)), key=lambda index: abs(levels[index] - 0.5))


def choose_outputs(model: IndusModel, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, list[str], list[float]]:
    """For each row: which output is explained (a class index, else 0), what it is in words,
    and its value on the real input."""
    with torch.no_grad():
        predictions = model.head.predict(model(**batch)["outputs"])
    rows = next(iter(predictions.values())).shape[0]
    if "probabilities" in predictions:
        chosen = predictions["probabilities"].argmax(dim=-1)
        names = model.head.labels
        descriptions = [f"log-odds of {names[index]!r}" for index in chosen.tolist()]
    else:
        chosen = torch.zeros(rows, dtype=torch.long, device=next(iter(predictions.values())).device)
        descriptions = [_description(model, predictions, row) for row in range(rows)]
    values = explained_output(model, predictions, chosen).tolist()
    return chosen, descriptions, values


def _description(model: IndusModel, predictions: dict[str, torch.Tensor], row: int) -> str:
    if "items" in predictions:
        return f"score of the top item {model.head.labels[predictions['items'][row, 0].item()]!r}"
    return "predicted median" if "quantiles" in predictions else "predicted value"


def forward_for(model: IndusModel, input_names: list[str]) -> Callable[..., torch.Tensor]:
    """A function of the named batch tensors, in order, then the chosen outputs, as captum
    calls it (inputs first, then the additional arguments)."""

    def forward(*tensors: torch.Tensor) -> torch.Tensor:
        *inputs, chosen = tensors
        outputs = model(**dict(zip(input_names, inputs)))["outputs"]
        return explained_output(model, model.head.predict(outputs), chosen)

    return forward
