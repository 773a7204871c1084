"""The typed contract between the platform and its plugins.

These are plain, frozen dataclasses: a plugin builds them when it is loaded, the platform
validates datasets and builds job specs from them, and `as_dict()` turns them into the JSON a
worker receives. Declaring a task imports no torch: a head or a backbone is named by the dotted
path of a factory that only a worker imports.
"""
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum

TASK_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
COMPONENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
DOTTED_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class ContractError(ValueError):
    """A plugin declared something the contract does not allow."""


class Modality(StrEnum):
    TEXT = "text"
    TABULAR = "tabular"
    TIME_SERIES = "time_series"
    TEXT_TABULAR = "text_tabular"


class ColumnType(StrEnum):
    TEXT = "text"  # free text, fed to a text encoder
    CATEGORY = "category"  # a string or integer from a small set
    NUMBER = "number"  # any real number
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATETIME = "datetime"  # a timestamp or an ISO-8601 string
    TOKENS = "tokens"  # a list of strings: pre-split words for token tagging
    IDENTIFIER = "identifier"  # a key: a user, an item, a series, a row id


class TargetKind(StrEnum):
    CLASSES = "classes"  # one label of several
    MULTI_LABEL = "multi_label"  # any subset of labels, as a list column
    ORDINAL = "ordinal"  # ordered levels, e.g. risk bands
    REGRESSION = "regression"  # one real number
    QUANTILES = "quantiles"  # a real number with prediction intervals
    TOKEN_TAGS = "token_tags"  # one BIO tag per token
    RANKING = "ranking"  # items ordered for a user or a query
    FORECAST = "forecast"  # the next `horizon` values of a time series


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str = ""
    required: bool = True


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    column: str
    labels: tuple[str, ...] = ()  # classes, ordinal levels (lowest first) or token tags
    quantiles: tuple[float, ...] = ()
    horizon: int | None = None  # forecast steps
    group_column: str | None = None  # ranking: the user or query; forecast: the series
    time_column: str | None = None  # forecast: the timestamp that orders each series
    min_rows_per_class: int = 5

    def __post_init__(self):
        kind = TargetKind(self.kind)
        needs_labels = {TargetKind.CLASSES, TargetKind.MULTI_LABEL, TargetKind.ORDINAL, TargetKind.TOKEN_TAGS}
        if kind in needs_labels and len(self.labels) < 2:
            raise ContractError(f"a {kind} target needs at least two labels")
        if len(set(self.labels)) != len(self.labels):
            raise ContractError("target labels must be unique")
        if kind == TargetKind.QUANTILES and not self.quantiles:
            raise ContractError("a quantiles target needs its quantiles, e.g. (0.1, 0.5, 0.9)")
        if any(not 0 < q < 1 for q in self.quantiles):
            raise ContractError("quantiles must lie strictly between 0 and 1")
        if kind == TargetKind.FORECAST and not (self.horizon and self.horizon > 0 and self.time_column):
            raise ContractError("a forecast target needs a positive horizon and a time_column")
        if kind == TargetKind.RANKING and not self.group_column:
            raise ContractError("a ranking target needs the group_column (user or query) it ranks for")


@dataclass(frozen=True)
class Presentation:
    """How predictions are shown to people: in the admin, in reports, in output files."""

    top_k: int = 1
    show_probabilities: bool = True
    unit: str = ""
    explanation: str = ""  # "tokens", "features" or "" when the task offers none
    positive_label: str = ""  # for binary tasks: the label whose probability matters


@dataclass(frozen=True)
class Task:
    name: str  # "<plugin>.<task>", e.g. finance.credit_scoring
    title: str
    description: str
    modality: Modality
    inputs: tuple[Column, ...]
    target: Target
    head: str  # a Head's name
    backbone: str  # the default Backbone's name
    metrics: tuple[str, ...]
    id_column: str | None = None
    min_rows: int = 20
    presentation: Presentation = field(default_factory=Presentation)

    def __post_init__(self):
        if not TASK_NAME.match(self.name):
            raise ContractError(f"task name {self.name!r} must look like 'plugin.task' (lower case)")
        Modality(self.modality)
        if not self.inputs:
            raise ContractError(f"task {self.name!r} declares no input columns")
        names = [c.name for c in self.inputs] + [self.target.column]
        if len(set(names)) != len(names):
            raise ContractError(f"task {self.name!r} names a column twice")
        if not self.metrics:
            raise ContractError(f"task {self.name!r} declares no metrics")

    @property
    def plugin(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def columns(self) -> tuple[Column, ...]:
        """Every column a dataset for this task must have, the target last."""
        extra = [
            Column(name, ColumnType.IDENTIFIER)
            for name in (self.id_column, self.target.group_column)
            if name and name not in {c.name for c in self.inputs}
        ]
        if self.target.time_column and self.target.time_column not in {c.name for c in self.inputs}:
            extra.append(Column(self.target.time_column, ColumnType.DATETIME))
        return (*extra, *self.inputs)

    def as_dict(self) -> dict:
        return asdict(self)


def _check_component(kind: str, name: str, factory: str) -> None:
    if not COMPONENT_NAME.match(name):
        raise ContractError(f"{kind} name {name!r} must be lower case, optionally 'plugin.name'")
    if not DOTTED_PATH.match(factory):
        raise ContractError(f"{kind} {name!r}: factory {factory!r} must look like 'package.module:callable'")


@dataclass(frozen=True)
class Head:
    """A task adaptation layer. `factory(*, hidden_size, task) -> torch.nn.Module`."""

    name: str
    title: str
    factory: str
    target_kinds: tuple[TargetKind, ...]

    def __post_init__(self):
        _check_component("head", self.name, self.factory)


@dataclass(frozen=True)
class Backbone:
    """A pretrained encoder. `factory(*, task, options) -> (module, preprocessor)` in a worker."""

    name: str
    title: str
    factory: str
    modalities: tuple[Modality, ...]
    description: str = ""
    # Sizes for the control plane's memory estimate, so that a batch too large for a worker
    # is refused before it is queued: weights, and activations kept per token (or per row).
    parameter_count: int = 0
    activation_bytes_per_token: int = 0
    max_length: int = 0  # the longest input a text backbone accepts; 0 for non-text

    def __post_init__(self):
        _check_component("backbone", self.name, self.factory)


@dataclass(frozen=True)
class SampleDataset:
    """A deterministic generator of realistic data for a task: `generator(*, rows, seed)`
    returns a pyarrow Table (pyarrow only: it runs on a cpu worker with no torch)."""

    name: str
    task: str
    title: str
    description: str
    generator: str
    default_rows: int = 2000

    def __post_init__(self):
        _check_component("sample dataset", self.name, self.generator)
