"""The typed contract between the platform and its plugins.

These are plain, frozen dataclasses: a plugin builds them when it is loaded, the platform
validates datasets and builds job specs from them, and `as_dict()` turns them into the JSON a
worker receives. Declaring a task imports no torch: a head or a backbone is named by the dotted
path of a factory that only a worker imports.
"""
import importlib
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum

TASK_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
COMPONENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
DOTTED_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class ContractError(ValueError):
    """A plugin declared something the contract does not allow."""


class JobInputError(ValueError):
    """A job's input (its data or its spec) is wrong; the message, shown to the user as the
    job's error, says which column or row and why. One name on both sides: the platform's
    runners raise it, and so do the workers' runtimes, which import only this light module."""


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


class Better(StrEnum):
    """Which way a metric improves."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"  # best near a value, not at an end: a bias near 0, a coverage near nominal


@dataclass(frozen=True)
class Metric:
    """A metric the runtime reports, declared with the way it improves. `{k}` in a name
    stands for a cut-off the task asks for (`ndcg_at_{k}`: `ndcg_at_10`)."""

    name: str
    better: Better
    description: str = ""

    def matches(self, name: str) -> bool:
        return re.fullmatch(re.escape(self.name).replace(re.escape("{k}"), r"\d+"), name) is not None


# Every metric the built-in runtimes report, whatever the target kind. A task's `metrics`
# choose among them; the registry compares versions by their `better`.
METRICS: tuple[Metric, ...] = (
    Metric("loss", Better.LOWER, "the head's loss on held-out rows"),
    Metric("accuracy", Better.HIGHER),
    Metric("balanced_accuracy", Better.HIGHER, "the mean recall over the classes present"),
    Metric("majority_class_accuracy", Better.NEITHER, "a property of the data: the commonest class's share"),
    Metric("precision", Better.HIGHER, "of the positive class"),
    Metric("recall", Better.HIGHER, "of the positive class"),
    Metric("f1", Better.HIGHER, "of the positive class"),
    Metric("micro_f1", Better.HIGHER),
    Metric("macro_f1", Better.HIGHER),
    Metric("weighted_f1", Better.HIGHER),
    Metric("roc_auc", Better.HIGHER),
    Metric("pr_auc", Better.HIGHER),
    Metric("top_{k}_accuracy", Better.HIGHER),
    Metric("top_k_accuracy", Better.HIGHER, "at the presentation's top_k"),
    Metric("quadratic_kappa", Better.HIGHER),
    Metric("mae_levels", Better.LOWER, "the mean distance in ordinal levels"),
    Metric("subset_accuracy", Better.HIGHER),
    Metric("hamming_loss", Better.LOWER),
    Metric("seqeval_f1", Better.HIGHER),
    Metric("seqeval_precision", Better.HIGHER),
    Metric("seqeval_recall", Better.HIGHER),
    Metric("token_accuracy", Better.HIGHER),
    Metric("mae", Better.LOWER),
    Metric("rmse", Better.LOWER),
    Metric("mape", Better.LOWER),
    Metric("r2", Better.HIGHER),
    Metric("pinball_loss", Better.LOWER),
    Metric("coverage", Better.NEITHER, "best near nominal_coverage"),
    Metric("nominal_coverage", Better.NEITHER, "the interval the quantiles ask for"),
    Metric("crossing_share", Better.LOWER, "rows whose quantiles cross"),
    Metric("mean_interval_width", Better.NEITHER, "narrower is better only at the nominal coverage"),
    Metric("mrr", Better.HIGHER),
    Metric("recall_at_{k}", Better.HIGHER),
    Metric("hit_rate_at_{k}", Better.HIGHER),
    Metric("ndcg_at_{k}", Better.HIGHER),
    Metric("recall_at_k", Better.HIGHER, "at the presentation's top_k"),
    Metric("hit_rate_at_k", Better.HIGHER, "at the presentation's top_k"),
    Metric("ndcg_at_k", Better.HIGHER, "at the presentation's top_k"),
)


def metric_named(name: str) -> Metric | None:
    """The declaration of a metric by its reported name, or None for a name never declared."""
    return next((metric for metric in METRICS if metric.matches(name)), None)


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
    # Hyperparameter defaults this task refines over its backbone's (name: value; see Backbone).
    hyperparameter_defaults: dict = field(default_factory=dict, hash=False)

    def __post_init__(self):
        if not TASK_NAME.match(self.name):
            raise ContractError(f"task name {self.name!r} must look like 'plugin.task' (lower case)")
        Modality(self.modality)
        # A forecast reads the target's own history: a series needs no other column.
        if not self.inputs and self.target.kind != TargetKind.FORECAST:
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

    @property
    def model_columns(self) -> tuple[Column, ...]:
        """The columns a trained model reads to predict, each with the type it reads it as: the
        inputs (an optional one keeps `required=False`), then what the featurizer takes from
        elsewhere: the user or query a ranking model scores for, and for a forecast the series,
        its time and the target's own history. The one definition of it: the platform checks a
        dataset for these columns before a job is queued, and the worker reads exactly these."""
        target = self.target
        extra = []
        if target.kind == TargetKind.RANKING:
            extra.append(Column(target.group_column, ColumnType.IDENTIFIER))
        elif target.kind == TargetKind.FORECAST:
            if target.group_column:
                extra.append(Column(target.group_column, ColumnType.IDENTIFIER))
            extra += [Column(target.time_column, ColumnType.DATETIME), Column(target.column, ColumnType.NUMBER)]
        columns = {column.name: column for column in self.inputs}
        for column in extra:
            columns.setdefault(column.name, column)
        return tuple(columns.values())

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        """The task from its `as_dict()` form, as JSON carries it (lists for tuples, strings for
        enums): how a worker reads the task it is sent, or the one a saved model records."""
        target = data["target"]
        return cls(**{
            **data,
            "modality": Modality(data["modality"]),
            "inputs": tuple(Column(**{**column, "type": ColumnType(column["type"])}) for column in data["inputs"]),
            "target": Target(**{
                **target,
                "kind": TargetKind(target["kind"]),
                "labels": tuple(target.get("labels") or ()),
                "quantiles": tuple(target.get("quantiles") or ()),
            }),
            "metrics": tuple(data["metrics"]),
            "presentation": Presentation(**(data.get("presentation") or {})),
        })


@dataclass(frozen=True)
class TaskTemplate:
    """A task whose columns and labels are the user's: the roles it fills (a target of one
    kind, inputs of the types its backbone reads), its head, backbone, metrics and
    presentation. A project's binding names the columns and labels of one table, and
    `bound()` makes the concrete `Task` the worker, evaluation and batch inference run, so
    predictions come back in the table's own names. Core ships generic ones
    (`indus.tabular_classification`...); a plugin may add its own."""

    name: str  # "<plugin>.<template>", like a task's
    title: str
    description: str
    modality: Modality
    target_kind: TargetKind
    input_types: tuple[ColumnType, ...]  # the column types its backbone reads as inputs
    head: str
    backbone: str
    metrics: tuple[str, ...]
    min_rows: int = 20
    presentation: Presentation = field(default_factory=Presentation)
    hyperparameter_defaults: dict = field(default_factory=dict, hash=False)
    # Types of which a binding needs at least one input: a text template needs a text column.
    needs_one_of: tuple[ColumnType, ...] = ()
    # A forecast's steps and quantiles: the template's, whatever the table.
    horizon: int | None = None
    quantiles: tuple[float, ...] = ()

    def __post_init__(self):
        if not TASK_NAME.match(self.name):
            raise ContractError(f"template name {self.name!r} must look like 'plugin.template' (lower case)")
        Modality(self.modality)
        TargetKind(self.target_kind)
        if not self.input_types or not self.metrics:
            raise ContractError(f"template {self.name!r} declares no input types or no metrics")
        if self.target_kind == TargetKind.FORECAST and not (self.horizon and self.horizon > 0):
            raise ContractError(f"template {self.name!r}: a forecast template needs a positive horizon")

    def bound(self, *, target: str, inputs: tuple[Column, ...], labels: tuple[str, ...] = (),
              positive_label: str = "", id_column: str | None = None, group_column: str | None = None,
              time_column: str | None = None) -> Task:
        """The concrete task of one table: its target column and labels, its inputs by name and
        type, its id column, and for a ranking or a forecast the user, query or series column
        (`group_column`) and the time column. Raises ContractError where they do not make a task."""
        target = Target(self.target_kind, target, tuple(labels), quantiles=self.quantiles, horizon=self.horizon,
                        group_column=group_column or None, time_column=time_column or None)
        return Task(
            name=self.name, title=self.title, description=self.description, modality=self.modality,
            inputs=tuple(inputs), target=target,
            head=self.head, backbone=self.backbone, metrics=self.metrics, id_column=id_column,
            min_rows=self.min_rows,
            presentation=Presentation(**{**asdict(self.presentation), "positive_label": positive_label}),
            hyperparameter_defaults=self.hyperparameter_defaults,
        )


def resolve_factory(path: str):
    """'package.module:attribute' -> the attribute, imported. Only where the import is meant
    to happen (a worker, `plugins check`): a head's or backbone's module imports torch."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ContractError(f"factory {path!r} must look like 'package.module:callable'")
    return getattr(importlib.import_module(module_name), attribute)


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
    # Defaults that belong to the backbone's family (name: value, names from the platform's
    # hyperparameter table): an encoder trained from scratch wants a larger learning rate and
    # more epochs than a pretrained one that is only fine-tuned. A task may refine them; the
    # platform resolves table < backbone < task < request in one place and checks the names.
    hyperparameter_defaults: dict = field(default_factory=dict, hash=False)
    # What a sweep searches when it is given no search space, in the family's terms (name:
    # {"low", "high"[, "log"]} or {"choices"}); a sweep's submission holds it to the table's bounds.
    search_space_defaults: dict = field(default_factory=dict, hash=False)

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
