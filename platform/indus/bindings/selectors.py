"""Reading task bindings, and proposing one for a dataset version from its stored profile.

A proposal reads what the version's import stored (schema and profile), never its data, so a
web request can propose and check a binding of any table. It starts from the column inference
(`indus.datasets.column_inference`), lets the user's choices override it, and names every
problem against the field and the column it concerns.
"""
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db.models import QuerySet

from indus.bindings.models import TaskBinding
from indus.datasets.column_inference import (
    ColumnInference,
    ColumnsProposal,
    ProblemKind,
    Role,
    infer_columns,
    list_misalignment,
    spells_a_number,
)
from indus.datasets.models import DatasetVersion
from indus.plugins.contract import ColumnType, ContractError, TargetKind, Task, TaskTemplate
from indus.plugins.dataset_validation import COLUMN_TYPES, arrow_type_named, errors, validate_stored
from indus.plugins.manager import get_registry

CLASS_KINDS = (TargetKind.CLASSES, TargetKind.ORDINAL)
LIST_KINDS = (TargetKind.MULTI_LABEL, TargetKind.TOKEN_TAGS)
NUMBER_TYPES = (ColumnType.NUMBER, ColumnType.INTEGER)
# The target kinds whose binding names a group column (required for a ranking) and a time column.
GROUP_KINDS = (TargetKind.RANKING, TargetKind.FORECAST)


def task_binding_list(*, project) -> QuerySet[TaskBinding]:
    return TaskBinding.objects.filter(project=project).select_related("dataset_version__dataset", "created_by")


def task_binding_task(binding: TaskBinding) -> Task | None:
    """The binding's concrete task, or None when no loaded plugin provides its template."""
    template = get_registry().templates.get(binding.template)
    return None if template is None else binding.task(template)


@dataclass
class BindingProposal:
    """A binding as it would be stored, with the inference behind it and what is wrong with it."""

    dataset_version: DatasetVersion
    columns: tuple[ColumnInference, ...]
    inference: ColumnsProposal
    template: str | None = None
    template_reason: str = ""
    target_column: str | None = None
    inputs: list[dict] = field(default_factory=list)  # [{name, type}]
    id_column: str | None = None
    left_out: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    positive_label: str = ""
    group_column: str | None = None
    group_reason: str = ""
    time_column: str | None = None
    time_reason: str = ""
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def valid(self) -> bool:
        return not self.problems

    def stored_fields(self) -> dict:
        """The fields of the TaskBinding this proposal makes."""
        return {
            "template": self.template, "dataset_version": self.dataset_version, "target_column": self.target_column,
            "inputs": self.inputs, "id_column": self.id_column or "", "left_out": self.left_out,
            "labels": self.labels, "positive_label": self.positive_label,
            "group_column": self.group_column or "", "time_column": self.time_column or "",
        }


def task_binding_proposal(
    *,
    dataset_version: DatasetVersion,
    target: str,
    template: str | None = None,
    inputs: list | None = None,
    id_column: str | None = None,
    labels: list | None = None,
    positive_label: str | None = None,
    group_column: str | None = None,
    time_column: str | None = None,
) -> BindingProposal:
    """A binding of `dataset_version`'s table with `target` as its target. Everything not
    given is inferred from the stored profile: the inputs and their types, the id column, the
    template, the labels and the positive label, and a forecast's time column. `inputs` lists
    column names (`"name:type"` sets a type) or {name, type}. `group_column` names a ranking's
    user or query, or a forecast's series; `time_column` the time that orders a forecast's."""
    given_types, malformed = _given_input_types(inputs, {column["name"] for column in dataset_version.columns})
    named = get_registry().templates.get(template) if template else None
    inference = infer_columns(
        columns=dataset_version.columns, profile=dataset_version.profile or {}, target=target,
        inputs=None if inputs is None else [name for name, _ in given_types],
        target_is_item=named is not None and named.target_kind == TargetKind.RANKING,
    )
    proposal = BindingProposal(dataset_version=dataset_version, columns=inference.columns, inference=inference)
    problems = proposal.problems
    if malformed:
        problems["inputs"].extend(malformed)
    input_names = {name for name, _ in given_types}
    for refusal in inference.refusals:
        field_name = "inputs" if refusal.column in input_names else "target" if refusal.column == target.strip() \
            or inference.target and refusal.column == inference.target.column else "dataset_version"
        problems[field_name].append(refusal.message)
    target_info = inference.target
    if problems.get("target") or target_info is None:
        return proposal
    proposal.target_column = inference.column(target_info.column).original_name

    chosen = _chosen_template(proposal, template, target_info.kind)
    if chosen is None:
        return proposal
    _bind_group_and_time(proposal, chosen, group_column, time_column)
    _bind_inputs(proposal, chosen, dict(given_types) if inputs is not None else None)
    _bind_id_column(proposal, id_column)
    _bind_labels(proposal, chosen, labels, positive_label)
    if chosen.target_kind == TargetKind.TOKEN_TAGS:
        _check_tags_align_with_words(proposal)
    proposal.left_out = [
        column.original_name for column in proposal.columns
        if column.original_name not in {proposal.target_column, proposal.id_column, proposal.group_column,
                                        proposal.time_column, *(i["name"] for i in proposal.inputs)}
    ]
    if not proposal.problems:
        _check_task(proposal, chosen)
    return proposal


def _given_input_types(inputs: list | None, columns: set[str]) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Each input the user named with the type they gave (None: inferred), and a problem for
    each entry that names no column. A name may carry its type after a colon (`mean
    radius:number`), unless the whole is a column's name."""
    named, malformed = [], []
    for entry in inputs or []:
        if isinstance(entry, str):
            name, colon, kind = entry.rpartition(":")
            named.append((name, kind) if colon and name and entry not in columns else (entry, None))
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str) and set(entry) <= {"name", "type"}:
            named.append((entry["name"], entry.get("type")))
        else:
            malformed.append(f"an input is a column name or {{\"name\": ..., \"type\": ...}}, not {entry!r}")
    return named, malformed


def _chosen_template(proposal: BindingProposal, name: str | None, kind: ProblemKind) -> TaskTemplate | None:
    templates = get_registry().templates
    target = proposal.target_column
    if name is None:
        name, proposal.template_reason = _suggested_template(proposal, kind)
    elif name not in templates:
        proposal.problems["template"].append(
            f"no loaded plugin provides template {name!r}; the templates are {', '.join(sorted(templates))}")
        return None
    else:
        proposal.template_reason = "the template named"
    chosen = templates[name]
    column_type = proposal.inference.column(target).type
    lists = kind == ProblemKind.LABEL_LISTS
    if chosen.target_kind in LIST_KINDS and not lists:
        stored = proposal.inference.column(target).stored_type
        proposal.problems["template"].append(
            f"template {name!r} predicts a list of {'tags' if chosen.target_kind == TargetKind.TOKEN_TAGS else 'labels'} "
            f"per row, but target {target!r} holds {stored} values; it needs a column of lists of strings"
            f"{_delimited_hint(proposal, target)}")
    elif lists and chosen.target_kind not in LIST_KINDS:
        proposal.problems["template"].append(
            f"template {name!r} predicts {chosen.target_kind} values, but target {target!r} holds lists of labels: "
            "a multi-label classification (indus.tabular_multi_label, indus.text_multi_label) or token tagging "
            "(indus.token_tagging)")
    elif chosen.target_kind == TargetKind.FORECAST and column_type not in NUMBER_TYPES:
        proposal.problems["template"].append(
            f"template {name!r} forecasts a number, but target {target!r} holds {column_type or 'other'} values")
    elif chosen.target_kind in CLASS_KINDS and kind == ProblemKind.REGRESSION:
        proposal.problems["template"].append(
            f"template {name!r} predicts labels, but target {target!r} holds numbers with many values: "
            "a regression (indus.tabular_regression)")
    elif chosen.target_kind == TargetKind.REGRESSION and kind != ProblemKind.REGRESSION and column_type not in NUMBER_TYPES:
        proposal.problems["template"].append(
            f"template {name!r} predicts a number, but target {target!r} holds labels")
    proposal.template = name
    return chosen


DELIMITERS = ("|", ";", ",")


def _delimited_hint(proposal: BindingProposal, target: str) -> str:
    """Where a text target looks like labels joined by a delimiter, how to make it lists: the
    runtime reads a multi-label target as lists only (evaluation compares lists too)."""
    entry = next((entry for entry in (proposal.dataset_version.profile or {}).get("columns", [])
                  if entry.get("name") == target), {})
    shown = [item["value"] for item in entry.get("values") or entry.get("top_values") or []] + list(entry.get("sample") or [])
    joined = next((value for value in shown if isinstance(value, str) and any(mark in value for mark in DELIMITERS)), None)
    if joined is None:
        return ""
    return (f" (its values look like labels joined by a delimiter, such as {joined!r}: store each row's labels as "
            "a list, as a JSON Lines or Parquet file holds them)")


def _suggested_template(proposal: BindingProposal, kind: ProblemKind) -> tuple[str, str]:
    """A template for the target's kind and the inputs' types. A forecast is never suggested:
    a number with dates beside it is as often a regression, and only the user knows which."""
    if kind == ProblemKind.REGRESSION:
        dates = [column.name for column in proposal.columns if column.type == ColumnType.DATETIME]
        over_time = f" (to forecast it over {dates[0]!r} instead, name the template indus.forecasting)" if dates else ""
        return "indus.tabular_regression", f"the target is a number: a regression over the tabular columns{over_time}"
    types = {column.type for column in proposal.columns if column.role == Role.INPUT}
    if kind == ProblemKind.LABEL_LISTS:
        # Lists beside a column of words are its tags (no multi-label template reads words):
        # tags not one per word are then a problem to show, not a reason to propose another.
        words = [column for column in proposal.columns
                 if column.type == ColumnType.TOKENS and column.original_name != proposal.target_column]
        aligned = [column for column in words if not list_misalignment(
            proposal.dataset_version.profile or {}, column.original_name, proposal.target_column)]
        if aligned:
            return "indus.token_tagging", f"the target holds lists of tags, one per word of {aligned[0].name!r}: token tagging"
        if words:
            return "indus.token_tagging", f"the target holds lists beside the words of {words[0].name!r}: token tagging"
        if types == {ColumnType.TEXT}:
            return "indus.text_multi_label", "the target holds lists of labels and every input is text"
        return "indus.tabular_multi_label", "the target holds lists of labels and the inputs are tabular"
    if ColumnType.TEXT in types and types - {ColumnType.TEXT}:
        return "indus.text_tabular_classification", "the target holds labels and the inputs mix text with other columns"
    if types == {ColumnType.TEXT}:
        return "indus.text_classification", "the target holds labels and every input is text"
    return "indus.tabular_classification", "the target holds labels and the inputs are tabular"


def _bind_inputs(proposal: BindingProposal, template: TaskTemplate, given: dict | None) -> None:
    """The inputs with their types. An inferred input of a type the template does not read is
    left out (with the reason); a named one of such a type, or of a type its stored values
    cannot be read as, is a problem."""
    columns = []
    for column in proposal.columns:
        if column.role in (Role.GROUP, Role.TIME) and given and column.original_name in given:
            proposal.problems["inputs"].append(
                f"column {column.name!r} is the {'time' if column.role == Role.TIME else 'group'} column "
                f"of the binding; it is no input")
        # Pre-split words are left out unless a template reads them: token tagging takes them.
        words = (given is None and column.role == Role.LEFT_OUT and column.type == ColumnType.TOKENS
                 and ColumnType.TOKENS in template.input_types and column.original_name != proposal.target_column)
        if column.role != Role.INPUT and not words:
            columns.append(column)
            continue
        if words:
            column = replace(column, role=Role.INPUT, role_reason=f"the words template {template.name!r} tags")
        stored = arrow_type_named(column.stored_type)
        asked = given.get(column.original_name, given.get(column.name)) if given else None
        if asked is None and column.type is None:
            continue  # no type fits it: the inference refused it by name
        if asked is not None:
            if asked not in set(ColumnType):
                proposal.problems["inputs"].append(
                    f"column {column.name!r}: unknown type {asked!r}; the types are {', '.join(ColumnType)}")
                continue
            column_type, reason = ColumnType(asked), "the type given"
        else:
            column_type, reason = _readable_type(column, stored)
        accepts, described = COLUMN_TYPES[column_type]
        if stored is not None and not accepts(stored):
            proposal.problems["inputs"].append(
                f"column {column.name!r} holds {column.stored_type} values, which a {column_type} input cannot read: "
                f"it needs {described}")
            continue
        if column_type not in template.input_types:
            if given is not None:
                proposal.problems["inputs"].append(
                    f"column {column.name!r}: template {template.name!r} reads no {column_type} input; "
                    f"it reads {', '.join(template.input_types)}")
                continue
            columns.append(replace(column, type=column_type, type_reason=reason, role=Role.LEFT_OUT,
                                   role_reason=f"template {template.name!r} reads no {column_type} input"))
            continue
        columns.append(replace(column, type=column_type, type_reason=reason))
        proposal.inputs.append({"name": column.original_name, "type": str(column_type)})
    proposal.columns = tuple(columns)
    if not proposal.inputs and template.target_kind == TargetKind.FORECAST:
        return  # a forecast reads the target's own history
    if not proposal.inputs and not proposal.problems.get("inputs"):
        proposal.problems["inputs"].append(
            f"no column is an input of template {template.name!r}; it reads {', '.join(template.input_types)}")
    elif template.needs_one_of and not {i["type"] for i in proposal.inputs} & set(template.needs_one_of):
        proposal.problems["inputs"].append(
            f"template {template.name!r} needs an input of type {' or '.join(template.needs_one_of)}")


def _column_named(proposal: BindingProposal, name: str) -> ColumnInference | None:
    """The column a user's name means, as stored or trimmed."""
    return next((column for column in proposal.columns if name in (column.original_name, column.name)), None)


def _bind_group_and_time(proposal: BindingProposal, template: TaskTemplate, group_column: str | None,
                         time_column: str | None) -> None:
    """A ranking's user or query column (named by the user), a forecast's series (named, or
    none: one series) and its time column (named, or the only column of dates). They take the
    role, so that they are no input and not left out."""
    kind, problems = template.target_kind, proposal.problems
    for field_name, given in (("group_column", group_column), ("time_column", time_column)):
        allowed = GROUP_KINDS if field_name == "group_column" else (TargetKind.FORECAST,)
        if given is not None and kind not in allowed:
            what = "ranking or forecast" if field_name == "group_column" else "forecast"
            problems[field_name].append(f"template {template.name!r} takes no {field_name}: only a {what} template does")
    if kind not in GROUP_KINDS:
        return
    chosen = {}
    if kind == TargetKind.FORECAST:
        chosen["time_column"] = _time_column(proposal, template, time_column)
    chosen["group_column"] = _group_column(proposal, template, group_column, chosen.get("time_column"))
    roles = {}
    for field_name, (column, reason) in chosen.items():
        if column is None:
            setattr(proposal, field_name.replace("_column", "_reason"), reason)
            continue
        if column.original_name == proposal.target_column or column.original_name in roles:
            problems[field_name].append(f"column {column.name!r} is already the target or another role of the binding")
            continue
        role = Role.TIME if field_name == "time_column" else Role.GROUP
        roles[column.original_name] = (role, reason)
        setattr(proposal, field_name, column.original_name)
        setattr(proposal, field_name.replace("_column", "_reason"), reason)
    proposal.columns = tuple(
        replace(column, role=roles[column.original_name][0], role_reason=roles[column.original_name][1])
        if column.original_name in roles else column for column in proposal.columns)


def _time_column(proposal: BindingProposal, template: TaskTemplate, name: str | None):
    """The forecast's time column with why, or (None, "") with a problem."""
    accepts, described = COLUMN_TYPES[ColumnType.DATETIME]
    if name is not None:
        column = _column_named(proposal, name)
        if column is None:
            proposal.problems["time_column"].append(f"no column named {name!r}")
        elif column.type != ColumnType.DATETIME or not accepts(arrow_type_named(column.stored_type)):
            proposal.problems["time_column"].append(
                f"column {column.name!r} holds {column.stored_type} values ({column.type_reason}); "
                f"a time column needs {described}")
        else:
            return column, "the time column named"
        return None, ""
    dates = [column for column in proposal.columns if column.type == ColumnType.DATETIME
             and column.original_name != proposal.target_column]
    if len(dates) == 1:
        return dates[0], f"the only column of dates ({dates[0].type_reason}): it orders each series"
    if not dates:
        proposal.problems["time_column"].append(
            f"template {template.name!r} needs a time column to order each series, and no column of the table "
            "holds dates; name one with time_column")
    else:
        proposal.problems["time_column"].append(
            f"columns {', '.join(repr(column.name) for column in dates)} all hold dates; name the one that orders "
            "each series with time_column")
    return None, ""


def _group_column(proposal: BindingProposal, template: TaskTemplate, name: str | None, time):
    """The ranking's user or query, or the forecast's series, with why; (None, why) for a
    forecast of one series; (None, "") with a problem."""
    time_column = time[0] if time else None
    if name is None:
        if template.target_kind == TargetKind.RANKING:
            proposal.problems["group_column"].append(
                f"template {template.name!r} ranks items for a user or a query: name that column with group_column")
            return None, ""
        facts = next((entry for entry in (proposal.dataset_version.profile or {}).get("columns", [])
                      if time_column is not None and entry.get("name") == time_column.original_name), {})
        if facts.get("repeated"):
            proposal.problems["group_column"].append(
                f"the time column {time_column.name!r} repeats values: the table holds several series; name the "
                "column that tells them apart with group_column")
            return None, ""
        return None, "no series column named: the table is one series"
    column = _column_named(proposal, name)
    if column is None:
        proposal.problems["group_column"].append(f"no column named {name!r}")
        return None, ""
    accepts, described = COLUMN_TYPES[ColumnType.IDENTIFIER]
    if not accepts(arrow_type_named(column.stored_type)):
        proposal.problems["group_column"].append(
            f"column {column.name!r} holds {column.stored_type} values; a group column needs {described}")
        return None, ""
    what = "the user or query each item is ranked for" if template.target_kind == TargetKind.RANKING else \
        "the series each row belongs to"
    return column, f"the group column named: {what}"


def _check_tags_align_with_words(proposal: BindingProposal) -> None:
    words = [entry["name"] for entry in proposal.inputs if entry["type"] == ColumnType.TOKENS]
    if len(words) > 1:
        proposal.problems["inputs"].append(
            f"token tagging tags the words of one column, and {', '.join(map(repr, words))} all hold words; name one")
    elif words and (problem := list_misalignment(
            proposal.dataset_version.profile or {}, words[0], proposal.target_column)):
        proposal.problems["target"].append(problem)


def _readable_type(column: ColumnInference, stored) -> tuple[ColumnType, str]:
    """The inferred type, or where the stored values cannot be read as it (numbers or yes/no
    stored as text, whole numbers stored as decimals) the type they can be read as."""
    accepts, _ = COLUMN_TYPES[column.type]
    if stored is None or accepts(stored):
        return column.type, column.type_reason
    fallback = ColumnType.NUMBER if COLUMN_TYPES[ColumnType.NUMBER][0](stored) else ColumnType.CATEGORY
    return fallback, f"{column.type_reason}; read as {fallback}, as its stored {column.stored_type} values can be"


def _bind_id_column(proposal: BindingProposal, id_column: str | None) -> None:
    if id_column is None:
        inferred = proposal.inference.id_column
        original = proposal.inference.column(inferred).original_name if inferred else None
        proposal.id_column = None if original in (proposal.group_column, proposal.time_column) else original
        return
    names = {column.original_name: column for column in proposal.columns}
    names.update({column.name: column for column in proposal.columns})
    if id_column not in names:
        proposal.problems["id_column"].append(f"no column named {id_column!r}")
        return
    original = names[id_column].original_name
    if original in {proposal.target_column, proposal.group_column, proposal.time_column} \
            or original in {i["name"] for i in proposal.inputs}:
        proposal.problems["id_column"].append(
            f"column {id_column!r} is the target or an input; the id column only tells rows apart")
        return
    proposal.id_column = original


def _bind_labels(proposal: BindingProposal, template: TaskTemplate, labels: list | None,
                 positive_label: str | None) -> None:
    target = proposal.inference.target
    if template.target_kind not in (*CLASS_KINDS, *LIST_KINDS):
        if labels:
            proposal.problems["labels"].append(
                f"template {template.name!r} predicts {template.target_kind} values: it takes no labels")
        if positive_label:
            proposal.problems["positive_label"].append("only a binary target has a positive label")
        return
    inferred = None if target.labels is None else [str(label) for label in target.labels]
    if labels is not None:
        given = [str(label) for label in labels]
        if len(set(given)) != len(given):
            proposal.problems["labels"].append("each label may be given once")
        elif inferred is not None and set(given) != set(inferred):
            proposal.problems["labels"].append(
                f"target {target.column!r} holds the labels {inferred}; give them all, each once, in the order wanted")
        proposal.labels = given
    elif inferred is None:
        proposal.problems["labels"].append(
            f"the stored profile does not list every value of target {target.column!r}; give the labels")
    elif template.target_kind == TargetKind.ORDINAL and not all(spells_a_number(label) for label in inferred):
        # Levels that are not numbers have no order the data can tell (the profile lists
        # them most common first): an ordinal head trained on a guessed order learns a wrong ranking.
        proposal.labels = inferred
        proposal.problems["labels"].append(
            f"template {template.name!r} predicts ordered levels and target {target.column!r} holds {inferred}, "
            "which are not numbers; give the labels, lowest first")
    else:
        proposal.labels = inferred
    binary = len(proposal.labels) == 2 and template.target_kind in CLASS_KINDS
    if positive_label is not None:
        if not binary:
            proposal.problems["positive_label"].append("only a binary target (two labels) has a positive label")
        elif str(positive_label) not in proposal.labels:
            proposal.problems["positive_label"].append(
                f"{positive_label!r} is not a label of target {target.column!r}: {proposal.labels}")
        proposal.positive_label = str(positive_label)
    elif binary and target.positive_label is not None:
        proposal.positive_label = str(target.positive_label)


def _check_task(proposal: BindingProposal, template: TaskTemplate) -> None:
    """The concrete task must hold, and fit the version as its stored profile shows."""
    version = proposal.dataset_version
    try:
        task = TaskBinding(**proposal.stored_fields()).task(template)
    except ContractError as error:
        proposal.problems["labels" if "label" in str(error) else "template"].append(str(error))
        return
    inputs = {i["name"] for i in proposal.inputs}
    for problem in errors(validate_stored(task, columns=version.columns, profile=version.profile or {})):
        field_name = "target" if problem.column == task.target.column else "inputs" if problem.column in inputs \
            else "dataset_version"
        proposal.problems[field_name].append(problem.message)


def proposal_as_dict(proposal: BindingProposal) -> dict:
    """The proposal as the API shows it: the binding's fields, every column's inferred type and
    role with the reasons, the target's kind and labels with theirs, and the problems."""
    target = proposal.inference.target
    return {
        "dataset_version": proposal.dataset_version.pk,
        "template": proposal.template,
        "template_reason": proposal.template_reason,
        "target": proposal.target_column,
        "inputs": proposal.inputs,
        "id_column": proposal.id_column,
        "left_out": proposal.left_out,
        "labels": proposal.labels,
        "positive_label": proposal.positive_label or None,
        "group_column": proposal.group_column, "group_reason": proposal.group_reason,
        "time_column": proposal.time_column, "time_reason": proposal.time_reason,
        "target_inference": None if target is None else {
            "column": target.column, "kind": str(target.kind), "kind_reason": target.kind_reason,
            "labels_reason": target.labels_reason, "positive_reason": target.positive_reason,
            "notes": list(target.notes),
        },
        "columns": [
            {"name": column.original_name, "trimmed_name": column.name, "stored_type": column.stored_type,
             "type": None if column.type is None else str(column.type), "type_reason": column.type_reason,
             "role": str(column.role), "role_reason": column.role_reason, "name_reason": column.name_reason}
            for column in proposal.columns
        ],
        "valid": proposal.valid,
        "problems": dict(proposal.problems),
    }
