"""From what the Trainer collects (raw head outputs and encoded labels, concatenated over
batches) to what `indus_workers.evaluation.evaluate` reads, for each kind of target. An
evaluate job (`indus_workers.inference.evaluate`) converts its batches the same way."""
import numpy as np
import torch

from indus.plugins.contract import TargetKind, Task
from indus_workers.batching import IGNORE_INDEX
from indus_workers.heads.base import TaskHead


def evaluation_inputs(task: Task, head: TaskHead, outputs: np.ndarray, labels: np.ndarray) -> tuple:
    kind = task.target.kind
    raw = torch.as_tensor(np.asarray(outputs))
    predicted = head.predict(raw)
    if kind in (TargetKind.CLASSES, TargetKind.ORDINAL, TargetKind.MULTI_LABEL):
        return np.asarray(labels), {"probabilities": predicted["probabilities"].numpy()}
    if kind == TargetKind.RANKING:
        return np.asarray(labels), {"scores": raw.float().numpy()}
    if kind == TargetKind.TOKEN_TAGS:
        return _tags_per_sentence(head, predicted["label"].numpy(), np.asarray(labels))
    # Numeric targets: the head predicts in the target's unit; labels are standardised.
    truth = head.scaler.restore(torch.as_tensor(np.asarray(labels), dtype=torch.float32)).numpy()
    key = "value" if kind == TargetKind.REGRESSION else "quantiles"
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


def truth_of(task: Task, head: TaskHead, labels: list) -> object:
    """The truth of encoded examples' `labels` as `evaluate` reads it (what `evaluation_inputs`
    returns first), without model outputs: the training split's, for the baselines."""
    kind = task.target.kind
    if kind in (TargetKind.CLASSES, TargetKind.ORDINAL, TargetKind.MULTI_LABEL, TargetKind.RANKING):
        return np.asarray(labels)
    if kind == TargetKind.TOKEN_TAGS:
        names = head.label_index.names
        return [[names[i] for i in row if i != IGNORE_INDEX] for row in labels]
    return head.scaler.restore(torch.as_tensor(np.asarray(labels), dtype=torch.float32)).numpy()
