"""Retrieval and ranking: score every item of a catalogue for a user or a query.

The catalogue is `task.target.labels`, filled from the training data when the plugin
leaves it empty (`indus_workers.targets.complete_labels`). Each item has an embedding and a bias
(its popularity); a row's representation is projected into the item space and scored against
every item. The loss is softmax cross-entropy with the item the user interacted with as the
target; the predictions are the top k items (k from the task's presentation).
"""
import torch
from torch import nn

from indus_workers.heads.classification import ClassificationHead
from indus_workers.heads.labels import DROPOUT

EMBEDDING_INIT_STD = 0.02


class ItemScorer(nn.Module):
    def __init__(self, hidden_size: int, items: int):
        super().__init__()
        self.query = nn.Sequential(nn.Dropout(DROPOUT), nn.Linear(hidden_size, hidden_size))
        # Item vectors live in their own table so that they can serve "similar items" later.
        self.item_embeddings = nn.Embedding(items, hidden_size)
        nn.init.normal_(self.item_embeddings.weight, std=EMBEDDING_INIT_STD)
        self.item_bias = nn.Parameter(torch.zeros(items))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.query(features) @ self.item_embeddings.weight.T + self.item_bias


class RankingHead(ClassificationHead):
    what = "item"

    def build_scorer(self, hidden_size: int, labels: int) -> nn.Module:
        return ItemScorer(hidden_size, labels)

    @property
    def top_k(self) -> int:
        wanted = self.task.presentation.top_k or 1
        return max(1, min(wanted, len(self.label_index)))

    def predict(self, outputs: torch.Tensor) -> dict[str, torch.Tensor]:
        scores, items = outputs.float().softmax(dim=-1).topk(self.top_k, dim=-1)
        return {"items": items, "scores": scores}

    def decode(self, predictions: dict[str, torch.Tensor]) -> list[dict]:
        return [
            {"items": self.label_index.names_of(items), "scores": scores}
            for items, scores in zip(predictions["items"].tolist(), predictions["scores"].tolist())
        ]
