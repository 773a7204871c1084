"""Token attributions: layer integrated gradients on the word embeddings, merged into words.

The baseline keeps the special tokens ([CLS], [SEP]) and replaces every other token with
padding, as captum's BERT tutorials do; an attribution says how much a word moved the output
away from the baseline's, and all of them add up to the difference (integrated gradients'
completeness), so each explanation reports the baseline's output too. Attributions of word
pieces are summed into their word; the words with the largest effect, either way, are reported
(positive: towards the explained output).

Integration starts with a few steps and doubles them while the attributions miss that total by
more than a tolerance (a confident model changes its mind abruptly somewhere on the path, and
a coarse integral misses it), up to a cap that bounds the cost of a row; the remaining gap is
reported as `convergence_delta`.
"""
import torch
from captum.attr import LayerIntegratedGradients

from indus_workers.backbones.text import TextEncoder
from indus_workers.inference.explain.target import forward_for
from indus_workers.model import IndusModel

FIRST_STEPS = 32  # integration steps: each costs one forward and backward pass of the row
MAX_STEPS = 256
RELATIVE_TOLERANCE = 0.05  # of the output's change from the baseline
ABSOLUTE_TOLERANCE = 0.01
TOP_WORDS = 10


def text_encoder_of(model: IndusModel) -> TextEncoder | None:
    return next((module for module in model.modules() if isinstance(module, TextEncoder)), None)


class WordMerger:
    """Which word pieces start a word, for the three usual sub-word schemes."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        vocabulary = tokenizer.get_vocab()
        if any(token.startswith("▁") for token in vocabulary):
            self.starts_word = lambda token: token.startswith("▁")  # SentencePiece
        elif any(token.startswith("Ġ") for token in vocabulary):
            self.starts_word = lambda token: token.startswith("Ġ")  # byte-level BPE
        else:
            self.starts_word = lambda token: not token.startswith("##")  # WordPiece

    def words(self, token_ids: list[int], attributions: list[float]) -> list[dict]:
        special = set(self.tokenizer.all_special_ids)
        groups: list[tuple[list[str], float]] = []
        for token_id, attribution in zip(token_ids, attributions):
            if token_id in special:
                continue
            token = self.tokenizer.convert_ids_to_tokens(token_id)
            if not groups or self.starts_word(token):
                groups.append(([token], attribution))
            else:
                pieces, total = groups[-1]
                groups[-1] = (pieces + [token], total + attribution)
        return [{"token": self.tokenizer.convert_tokens_to_string(pieces).strip(), "attribution": total} for pieces, total in groups]


def token_attributions(model: IndusModel, batch: dict[str, torch.Tensor], chosen: torch.Tensor) -> list[dict]:
    """For each row of the batch (explained one at a time: no padding, bounded memory), its
    most influential words and the baseline's output."""
    encoder = text_encoder_of(model)
    tokenizer = encoder.featurizer.tokenizer
    merger = WordMerger(tokenizer)
    other_names = [name for name in batch if name != "input_ids"]
    forward = forward_for(model, ["input_ids", *other_names])
    explainer = LayerIntegratedGradients(forward, encoder.transformer.get_input_embeddings())
    special = torch.tensor(sorted(tokenizer.all_special_ids), device=batch["input_ids"].device)
    per_token_inputs = set(encoder.featurizer.input_names)  # the rest (a fusion's tabular inputs) are per row
    results = []
    for row in range(batch["input_ids"].shape[0]):
        real = batch["attention_mask"][row].bool()  # the row without its padding

        def row_of(name: str, row: int = row, real: torch.Tensor = real) -> torch.Tensor:  # bound to this row
            values = batch[name][row : row + 1]
            return values[:, real] if name in per_token_inputs else values

        input_ids = row_of("input_ids")
        others = tuple(row_of(name) for name in other_names)
        baseline = torch.where(torch.isin(input_ids, special), input_ids, torch.full_like(input_ids, tokenizer.pad_token_id))
        row_chosen = chosen[row : row + 1]
        with torch.no_grad():
            baseline_output = forward(baseline, *others, row_chosen).item()
            change = forward(input_ids, *others, row_chosen).item() - baseline_output
        steps = FIRST_STEPS
        while True:
            attributions, delta = explainer.attribute(
                input_ids, baselines=baseline, additional_forward_args=(*others, row_chosen),
                n_steps=steps, internal_batch_size=steps, return_convergence_delta=True,
            )
            if abs(delta.item()) <= ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * abs(change) or steps >= MAX_STEPS:
                break
            steps *= 2
        words = merger.words(input_ids[0].tolist(), attributions.sum(dim=-1)[0].tolist())
        results.append({
            "tokens": sorted(words, key=lambda word: abs(word["attribution"]), reverse=True)[:TOP_WORDS],
            "baseline_output": baseline_output,
            "convergence_delta": delta.item(),
            "integration_steps": steps,
        })
    return results
