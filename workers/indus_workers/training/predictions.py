"""From what the Trainer collects (raw head outputs and encoded labels, concatenated over
batches) to what `indus_workers.evaluation.evaluate` reads, for each kind of target. An
evaluate job (`indus_workers.inference.evaluate`) converts its batches the same way."""
import numpy as np
import torch

from indus_workers.batching import IGNORE_INDEX
from indus_workers.heads.base import TaskHead


def evaluation_inputs(task: dict, head: TaskHead, outputs: np.ndarray, labels: np.ndarray) -> tuple:
    kind = task["target"]["kind"]
    raw = torch.as_tensor(np.asarray(outputs))
    predicted = head.predict(raw)
    if kind in ("classes", "ordinal", "multi_label"):
        return np.asarray(labels), {"probabilities": predicted["probabilities"].numpy()}
    if kind == "ranking":
        return np.asarray(labels), {"scores": raw.float().numpy()}
    if kind == "token_tags":
        return _tags_per_sentence(head, predicted["label"].numpy(), np.asarray(labels))
    # Numeric targets: the head predicts in the target's unit; labels are standardised.
    truth = head.scaler.restore(torch.as_tensor(np.asarray(labels), dtype=torch.float32)).numpy()
    key = "value" if kind == "regression" else "quantiles"
    return truth, {key: predicted[key].numpy()}


def _tags_per_sentence(head: TaskHead, predicted: np.ndarray, labels: np.ndarray) -> tuple:
    """Each word is scored once, on its first sub-token: the positions whose label is not
    ignored (special tokens, continuation sub-tokens and batch padding are)."""
    names = head.label_index.names
    truth, tags = [], []
    for predicted_row, label_row in zip(predicted, labels):
        scored = label_row != IGNORE_INDEX
        truth.append([names[i] for i in label_row[scored]])
        tags.append([names[i] for i in predicted_row[scored]])
    return truth, {"tags": tags}
