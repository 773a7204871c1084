"""Text + tabular fusion: the pooled text vector and the tabular features, concatenated and
projected to one representation.

Options: `text` (the text encoder's options), `tabular` (the tabular encoder's), and
hidden_size (default: the text encoder's).
"""
from pathlib import Path

import pyarrow as pa
import torch
from torch import nn

from indus.plugins.contract import Task
from indus_workers.backbones.base import Encoder, RowFeaturizer
from indus_workers.backbones.tabular import TabularEncoder, TabularFeaturizer, build_tabular_encoder
from indus_workers.backbones.text import TextEncoder, TextFeaturizer, build_text_encoder


class FusionFeaturizer(RowFeaturizer):
    """Both featurizers over the same rows; their example keys do not overlap."""

    def __init__(self, task: Task, *, text: TextFeaturizer, tabular: TabularFeaturizer):
        super().__init__(task)
        self.text = text
        self.tabular = tabular

    def fit(self, table: pa.Table) -> None:
        self.text.fit(table)
        self.tabular.fit(table)

    def encode_rows(self, table: pa.Table) -> list[dict]:
        return [
            {**text, **tabular}
            for text, tabular in zip(self.text.encode_rows(table), self.tabular.encode_rows(table), strict=True)
        ]

    def collate_inputs(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        return {**self.text.collate_inputs(examples), **self.tabular.collate_inputs(examples)}

    def state_dict(self) -> dict:
        return {"text": self.text.state_dict(), "tabular": self.tabular.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.text.load_state_dict(state["text"])
        self.tabular.load_state_dict(state["tabular"])


class FusionEncoder(Encoder):
    featurizer: FusionFeaturizer

    def __init__(self, *, task: Task, text: TextEncoder, tabular: TabularEncoder, hidden_size: int, options: dict):
        featurizer = FusionFeaturizer(task, text=text.featurizer, tabular=tabular.featurizer)
        super().__init__(featurizer=featurizer, hidden_size=hidden_size, options=options)
        self.text = text
        self.tabular = tabular
        self.projection = nn.Sequential(nn.Linear(text.hidden_size + tabular.hidden_size, hidden_size), nn.GELU())

    def build_fitted_layers(self) -> None:
        self.tabular.build_fitted_layers()

    def hold_weights_in(self, dtype: torch.dtype) -> None:
        self.text.hold_weights_in(dtype)

    def forward(self, **batch: torch.Tensor) -> torch.Tensor:
        return self.projection(torch.cat([self.text(**batch), self.tabular(**batch)], dim=-1))

    def save_files(self, folder: Path) -> dict:
        return {**self.options, "text": self.text.save_files(folder), "tabular": self.tabular.save_files(folder)}


def build_fusion_encoder(*, task: Task, options: dict | None = None) -> FusionEncoder:
    options = dict(options or {})
    # A saved model's files are relative to its folder: both parts need to know where it is.
    shared = {"artifact_dir": options["artifact_dir"]} if "artifact_dir" in options else {}
    text = build_text_encoder(task=task, options={**options.get("text", {}), **shared})
    tabular = build_tabular_encoder(task=task, options={**options.get("tabular", {}), **shared})
    return FusionEncoder(
        task=task, text=text, tabular=tabular, hidden_size=options.get("hidden_size", text.hidden_size), options=options
    )
