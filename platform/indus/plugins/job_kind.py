"""What a job kind is, declared once: its name and queue, its typed input, the service that
submits it, the runner a worker calls, what its job page links to and what it frees after a
success. Part of the plugin API, beside the contract.

One `JobKind` per kind lives in the app that owns it (`indus/<app>/kind.py`, a `KINDS` list),
or comes from a plugin's `indus_job_kinds` hook; `indus.jobs.kinds` finds them. Like the hyperparameter table, its input table
drives everything else: the services check values against it, and the API's submission
serializer and OpenAPI entry, the admin's launch form and the CLI's `jobs submit` flags are
generated from it.

This module imports neither Django nor any app, so that a plugin can declare a kind with the
light plugin API, and the plugin manager can check what a plugin returns. Paths to code (the submit service, the runner, the after-success step) are
dotted strings, imported only where they run.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

REQUIRED = object()  # the default of an input the request must give


@dataclass(frozen=True)
class ProjectObject:
    """A kind of object of a project that an input names by id (a dataset version, a model
    version). The model is named by its label, so that the declaration imports no app."""

    model: str  # "datasets.DatasetVersion"
    noun: str  # "dataset version"
    project_path: str  # the lookup from the object to its project: "dataset__project"
    admin_url: str  # the admin page of one object, reversed with its id
    select_related: tuple[str, ...] = ()
    ordering: tuple[str, ...] = ("-pk",)
    # The choice's text in the admin; `with_project` prefixes it when several projects are offered.
    label: Callable[[object, bool], str] = lambda obj, with_project: str(obj)

    def project_of(self, obj):
        """The object's project, reached through `project_path` ("dataset__project")."""
        for step in self.project_path.split("__"):
            obj = getattr(obj, step)
        return obj


@dataclass(frozen=True)
class AdminInput:
    """How the admin form asks for an input whose type a form field cannot take as it is (a
    JSON object asked for as one number): the form field's name, a maker of the field, and the
    conversion of its cleaned value to the input's value."""

    name: str
    field: Callable[[], object]
    value: Callable[[object], object]


@dataclass(frozen=True)
class InputField:
    """One input of a kind: its type, default, bounds, choices and meaning."""

    name: str
    type: type  # str, int, float, bool, dict or list; references are int ids
    default: object = REQUIRED
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    # The allowed values, each with what it means ("" when the value says it).
    choices: tuple[tuple[object, str], ...] = ()
    max_length: int | None = None
    references: ProjectObject | None = None
    # The job page's link to the referenced object ("Dataset version read"); "" for no link.
    link_label: str = ""
    # Other spellings of the CLI flag (`--model` for `--model-name`), besides `--<name>`.
    flags: tuple[str, ...] = ()
    # False: the admin form does not ask for it (a form of the kind's own asks otherwise).
    admin: AdminInput | bool = True

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def nullable(self) -> bool:
        return self.default is None

    @property
    def spec_key(self) -> str:
        """The key of the value in the job's spec: a reference is stored as `<name>_id`."""
        return f"{self.name}_id" if self.references else self.name

    def default_value(self):
        """The default, as a new value (a dict default is never shared between jobs)."""
        return type(self.default)(self.default) if isinstance(self.default, (dict, list)) else self.default

    def problem(self, value) -> str | None:
        """What is wrong with a value given for this input, or None."""
        if value is None:
            return None if self.nullable else "must be given"
        if self.type is bool:
            return None if isinstance(value, bool) else "must be true or false"
        if self.type in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"must be a number, not {value!r}"
            if self.type is int and value != int(value):
                return f"must be a whole number, not {value!r}"
            low, high = self.minimum, self.maximum
            if self.type is int and low is not None and high is not None and not low <= value <= high:
                return f"must be a whole number from {low:g} to {high:g}"
            if low is not None and value < low:
                return f"must be at least {low:g}, not {value:g}"
            if high is not None and value > high:
                return f"must be at most {high:g}, not {value:g}"
        elif not isinstance(value, self.type):
            return f"must be {_TYPE_WORDS.get(self.type, self.type.__name__)}"
        if self.max_length is not None and len(value) > self.max_length:
            return f"must have at most {self.max_length} characters"
        if self.choices and value not in self.values():
            return f"must be {self.choices_text()}"
        return None

    def values(self) -> list:
        return [value for value, _ in self.choices]

    def choices_text(self) -> str:
        if not any(meaning for _, meaning in self.choices):
            return f"one of {', '.join(str(value) for value in self.values())}"
        spelled = [f"{value!r} ({meaning})" if meaning else repr(value) for value, meaning in self.choices]
        return ", ".join(spelled[:-1]) + f" or {spelled[-1]}" if len(spelled) > 1 else spelled[0]


_TYPE_WORDS = {str: "a string", dict: "an object", list: "a list"}


@dataclass(frozen=True)
class MadeLink:
    """A link of a succeeded job's page to what the job made, read from its result."""

    id: str  # the link's HTML id
    result_key: str  # the id of the object in the job's result
    references: ProjectObject
    label: Callable[[dict], str]  # the link's text, from the result


class InputError(ValueError):
    """Values that do not fit a kind's input: {input name: message}."""

    def __init__(self, problems: Mapping[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True, eq=False)  # one declaration per kind: identity is equality
class JobKind:
    name: str
    queue: str
    runner: str  # dotted path of `runner(context) -> dict`, imported only inside a worker
    title: str = ""  # what the admin calls it: "fine-tune"
    inputs: tuple[InputField, ...] = ()
    # Dotted path of `submit(*, project, created_by, **inputs) -> Job`, the service that checks
    # a submission and queues the job. Kinds without one are made by their app's own services
    # (an upload, an SQL import) and cannot be submitted to the jobs endpoint.
    submit: str | None = None
    # Dotted path of `after_success(spec)`, called once the job's success is recorded: it frees
    # what only a retry would have needed (a succeeded job is never retried).
    after_success: str | None = None
    # Dotted path of `after_final(spec)`, called once the job has reached a final state by any
    # path (its worker, a cancel while it was queued, giving up after its attempts): it frees
    # what the job held for as long as it could still run (an SQL import's credentials).
    after_final: str | None = None
    # Dotted path of `after_retry(*, retry, of)`, called in the transaction that queues `retry`
    # of the job `of`: it copies what the kind's own app keeps of each job (a dataset's imports).
    after_retry: str | None = None
    made: tuple[MadeLink, ...] = ()
    # Dotted path of the admin launch form, for a kind whose form is more than its inputs
    # (fine-tuning builds its fields from the chosen task); None: the form is generated.
    admin_form: str | None = None
    # Dotted path of `download(job) -> response` for what a succeeded job offers to download.
    download: str | None = None
    # Dotted path of `section(job) -> HTML` that the job page shows below its summary, for what
    # the kind's own app keeps of the job (a sweep's trials).
    admin_section: str | None = None
    # The version of the spec this declaration writes, and the steps that bring an older
    # spec up to it: {version: spec of that version -> spec of the next one}. Rows written
    # before specs were versioned are version 0.
    spec_version: int = 1
    spec_upgrades: Mapping[int, Callable[[dict], dict]] = field(default_factory=dict)
    # Dotted path of `part_runner(context: indus.jobs.part_execution.PartContext) -> dict`, for
    # a kind whose large jobs are split into parts that several workers compute (batch
    # inference): it computes rows [context.first_row, context.end_row) and returns what the
    # runner merges. The kind's runner decides whether a job is split (`run_in_parts`); None:
    # the kind's jobs always run whole.
    part_runner: str | None = None

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", self.name):
            raise ValueError(f"job kind name {self.name!r}: lowercase words joined by '_' or '.'")
        names = [i.name for i in self.inputs]
        if len(set(names)) != len(names) or "kind" in names:
            raise ValueError(f"job kind {self.name!r}: input names must be unique and not 'kind'")
        missing = [v for v in range(1, self.spec_version) if v not in self.spec_upgrades]
        if missing:
            raise ValueError(f"job kind {self.name!r}: no upgrade from spec version {missing[0]}")

    @property
    def slug(self) -> str:
        """The kind in URLs and on the command line: `fine-tune`, `test.toy`."""
        return self.name.replace("_", "-")

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ")

    @property
    def submittable(self) -> bool:
        return self.submit is not None

    def input(self, name: str) -> InputField:
        return next(i for i in self.inputs if i.name == name)

    def defaults(self) -> dict:
        return {i.name: i.default_value() for i in self.inputs if not i.required}

    def checked(self, values: Mapping[str, object]) -> dict:
        """The values of the inputs named in `values`, checked against the table, or an
        InputError naming each bad one. References and inputs the service checks itself are
        left out of `values`."""
        problems = {name: problem for name, value in values.items() if (problem := self.input(name).problem(value))}
        if problems:
            raise InputError(problems)
        return dict(values)

    def upgraded_spec(self, spec: dict, version: int) -> dict:
        """A spec written at `version`, brought up to this declaration's version. Version 0 is
        a row written before specs were versioned; a kind whose spec has not changed since
        needs no step from it."""
        for step in range(version, self.spec_version):
            upgrade = self.spec_upgrades.get(step)
            spec = upgrade(dict(spec)) if upgrade else spec
        return spec


def filled_with_defaults(kind_inputs: tuple[InputField, ...]) -> Callable[[dict], dict]:
    """An upgrade for specs written before every input was stored: what an old row lacks takes
    the default it had then, which is the table's."""

    def upgrade(spec: dict) -> dict:
        for item in kind_inputs:
            if not item.required:
                spec.setdefault(item.spec_key, item.default_value())
        return spec

    return upgrade
