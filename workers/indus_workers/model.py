"""A trainable model: a backbone encoder and a task head, and its saved form.

`IndusModel.forward(**batch, labels=None)` returns {"loss" (with labels), "outputs"}, which is
what transformers' `Trainer` expects (give it `remove_unused_columns=False` and
`data_collator=model.collate`).

A saved model is a folder:
    model.safetensors     every weight and buffer (target scales too); never pickle
    indus_model.json      the task, the factories' dotted paths and options, the featurizer state
    text_encoder/         the tokenizer and transformer config, for text backbones
`load_model` rebuilds the architecture from the JSON and loads the weights into it. The folder
is written in place: the runtime writes into a temporary folder and renames it when complete.
"""
import json
from pathlib import Path

import pyarrow as pa
import torch
from safetensors.torch import load_model as load_safetensors
from safetensors.torch import save_model as save_safetensors
from torch import nn

from indus.plugins.contract import Task, resolve_factory
from indus_workers.backbones.base import Encoder
from indus_workers.heads.base import TaskHead
from indus_workers.targets import attach_targets, complete_labels, words_from_tokens
from indus_workers.task import ModelTask

WEIGHTS_FILE = "model.safetensors"
SPEC_FILE = "indus_model.json"
SPEC_FORMAT = 1


def factory_path(component) -> str:
    """The dotted path of a class, which is its own factory (heads are)."""
    return f"{type(component).__module__}:{type(component).__qualname__}"


class IndusModel(nn.Module):
    """Assembling the model builds the encoder's layers that the fitted featurizer sizes, so
    fit (or restore) the featurizer first. The task is the head's (with its labels and any
    class weights). The backbone factory is recorded for `save`; a head class is its own."""

    # Heads return a mean over the batch. Without this, transformers' Trainer sees **batch in
    # forward, assumes the model normalises by the token count itself, sends it
    # `num_items_in_batch` and stops dividing the loss by the gradient-accumulation steps.
    accepts_loss_kwargs = False

    def __init__(self, encoder: Encoder, head: TaskHead, *, backbone_factory: str | None = None, head_factory: str | None = None):
        super().__init__()
        encoder.build_fitted_layers()
        self.encoder = encoder
        self.head = head
        self.task = head.task
        self.backbone_factory = backbone_factory
        self.head_factory = head_factory or factory_path(head)

    @property
    def featurizer(self):
        return self.encoder.featurizer

    def forward(self, labels: torch.Tensor | None = None, **batch: torch.Tensor) -> dict[str, torch.Tensor]:
        outputs = self.head(self.encoder(**batch))
        result = {"outputs": outputs}
        if labels is not None:
            result["loss"] = self.head.loss(outputs, labels)
        return result

    def featurize(self, table: pa.Table, *, inference: bool = False) -> list[dict]:
        """Examples to train or evaluate on (with `labels`; rows without a target left out), or
        with `inference`, examples to predict."""
        examples = self.featurizer.encode(table, inference=inference)
        return examples if inference else attach_targets(examples, self.head)

    def collate(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        return self.featurizer.collate(examples)

    def raw_outputs(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The head's raw outputs for a collated batch (its `labels`, if any, left out), on the
        model's device. Call it under `torch.inference_mode()` unless gradients are wanted.
        Tensors in pinned host memory are copied without blocking: the host goes on to the next
        batch while the copy and the compute queue up on the device."""
        device = next(self.parameters()).device
        # `is_pinned` only for a GPU: on a CPU worker it must not wake CUDA.
        copy_ahead = device.type == "cuda"
        inputs = {name: value.to(device, non_blocking=copy_ahead and value.is_pinned()) for name, value in batch.items() if name != "labels"}
        return self(**inputs)["outputs"]

    def head_predictions(self, batch: dict[str, torch.Tensor]) -> dict:
        """The head's predictions for a collated batch, on the CPU."""
        with torch.inference_mode():
            return self.predictions_of(self.raw_outputs(batch))

    def inference_outputs(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """`raw_outputs` under inference mode, left on the model's device."""
        with torch.inference_mode():
            return self.raw_outputs(batch)

    def predictions_of(self, outputs: torch.Tensor) -> dict:
        """The head's predictions from raw outputs (of one batch or of several concatenated),
        on the CPU."""
        with torch.inference_mode():
            predictions = self.head.predict(outputs)
            # Off the device in one copy per tensor: decoding reads rows one at a time, and on a
            # GPU each read would be its own transfer and wait (32,000 of them for 16,000 rows).
            return {name: value.cpu() if isinstance(value, torch.Tensor) else value for name, value in predictions.items()}

    def predict_rows(self, examples: list[dict]) -> list[dict]:
        """JSON-ready predictions for one batch of examples; token tags come back one per word."""
        rows = self.head.decode(self.head_predictions(self.collate(examples)))
        if self.head.token_level:
            rows = [words_from_tokens(row, example["word_ids"]) for row, example in zip(rows, examples)]
        return rows

    def warm_start_from(self, parent: "IndusModel") -> int:
        """Copy every weight whose name and shape match the parent's (continual learning: a
        new version starts where the registered one stopped; a head over a changed label set
        starts fresh). Returns how many tensors were copied."""
        own = self.state_dict()
        matching = {
            name: tensor for name, tensor in parent.state_dict().items()
            if name in own and own[name].shape == tensor.shape
        }
        self.load_state_dict(matching, strict=False)
        return len(matching)

    def save(self, folder: str | Path) -> None:
        save_model(self, folder)


def save_model(model: IndusModel, folder: str | Path, *, backbone_factory: str | None = None) -> None:
    """Weights as safetensors, the spec as JSON, and the encoder's files (a tokenizer)."""
    backbone_factory = backbone_factory or model.backbone_factory
    if not backbone_factory:
        raise ValueError("saving a model needs the backbone factory's dotted path, to rebuild it on load")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "format": SPEC_FORMAT,
        "task": model.task.as_dict(),
        "backbone": {"factory": backbone_factory, "options": model.encoder.save_files(folder)},
        "head": {"factory": model.head_factory},
        "featurizer": model.featurizer.state_dict(),
    }
    (folder / SPEC_FILE).write_text(json.dumps(spec, indent=2))
    save_safetensors(model, str(folder / WEIGHTS_FILE))


def build_model(
    *, task: Task, backbone_factory: str, head_factory: str, train_table: pa.Table, backbone_options: dict | None = None
) -> IndusModel:
    """A model ready to train on `train_table`: labels completed where the task has none, the
    featurizer fitted, and the head's target scaling fitted, all on the training rows only."""
    task = complete_labels(ModelTask.of(task), train_table)
    encoder = resolve_factory(backbone_factory)(task=task, options=backbone_options or {})
    encoder.featurizer.fit(train_table)
    head = resolve_factory(head_factory)(hidden_size=encoder.hidden_size, task=task)
    head.fit_targets(train_table.column(task.target.column).to_pylist())
    return IndusModel(encoder, head, backbone_factory=backbone_factory, head_factory=head_factory)


def load_model(folder: str | Path, *, device: str | torch.device = "cpu", weights_dtype: torch.dtype = torch.float32) -> IndusModel:
    """The saved model, rebuilt from its JSON spec with its weights loaded, in eval mode; with
    a `weights_dtype`, its encoder holds what weights it can in it (see `Encoder.hold_weights_in`)."""
    folder = Path(folder)
    spec = json.loads((folder / SPEC_FILE).read_text())
    if spec.get("format") != SPEC_FORMAT:
        raise ValueError(f"{folder / SPEC_FILE} has format {spec.get('format')!r}; this worker reads {SPEC_FORMAT}")
    task = ModelTask.from_dict(spec["task"])
    options = {**spec["backbone"]["options"], "artifact_dir": str(folder)}
    encoder = resolve_factory(spec["backbone"]["factory"])(task=task, options=options)
    encoder.featurizer.load_state_dict(spec["featurizer"])
    head = resolve_factory(spec["head"]["factory"])(hidden_size=encoder.hidden_size, task=task)
    model = IndusModel(encoder, head, backbone_factory=spec["backbone"]["factory"], head_factory=spec["head"]["factory"])
    load_safetensors(model, str(folder / WEIGHTS_FILE), device=str(device))
    model = model.to(device).eval()
    if weights_dtype != torch.float32:
        model.encoder.hold_weights_in(weights_dtype)
    return model
