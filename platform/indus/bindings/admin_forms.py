"""The admin's "Use this data" form: a dataset version's columns bound to a task template.

Like every admin form it only gathers and types the user's choices; what they mean and whether
they make a binding is `task_binding_proposal`'s to say (the API's infer call shows the same),
and saving is `task_binding_create`'s. One row per column, by position (a header may hold any
character): its role and its type. The choices are read back only for the target and template
they were made for (`basis`): choosing another target or template starts from its inference.
"""
import json

from django import forms

from indus.bindings.selectors import BindingProposal
from indus.core.admin_forms import ServiceErrorsForm
from indus.datasets.column_inference import Role
from indus.plugins.contract import ColumnType
from indus.plugins.manager import get_registry

ROLE_CHOICES = [(Role.INPUT.value, "input"), (Role.ID.value, "id column"), (Role.LEFT_OUT.value, "left out")]
TYPE_CHOICES = [(column_type.value, column_type.value) for column_type in ColumnType]


def basis_of(target: str, template: str | None) -> str:
    # JSON: a browser posts a line break in a field back as CR LF, and a header may hold anything.
    return json.dumps([target, template or ""])


class UseThisDataForm(ServiceErrorsForm):
    target = forms.ChoiceField(help_text="the column to predict; the rest is inferred from the stored profile")
    template = forms.ChoiceField(required=False, help_text="suggested from the target and the columns")
    basis = forms.CharField(required=False, widget=forms.HiddenInput)
    labels = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
        help_text="one label a line; for ordered levels, lowest first",
    )
    # Its choices are the proposal's labels, known only once the choices are read: a Select of a CharField.
    labels_in_order = forms.BooleanField(
        required=False, label="These are in order",
        help_text="tick to confirm the order shown, lowest first, when it is already right",
    )
    positive_label = forms.CharField(required=False, widget=forms.Select,
                                     help_text="a binary target's label that the model is asked to find")
    model_name = forms.CharField(required=False, max_length=100,
                                 help_text="the registered model the fine-tune makes a version of")
    # The service names its fields after the binding; the form shows them in these places.
    service_fields = {"binding": "template"}

    def __init__(self, *args, columns: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.column_names = [column["name"] for column in columns]
        self.fields["target"].choices = [("", "— choose the column to predict —")] + [
            (name, name) for name in self.column_names]
        self.fields["template"].choices = [("", "— suggested from the data —")] + [
            (name, f"{template.title} ({name})") for name, template in sorted(get_registry().templates.items())]
        for index, _ in enumerate(self.column_names):
            self.fields[f"role_{index}"] = forms.ChoiceField(choices=ROLE_CHOICES, required=False)
            self.fields[f"type_{index}"] = forms.ChoiceField(choices=TYPE_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        ids = [name for index, name in enumerate(self.column_names) if data.get(f"role_{index}") == Role.ID]
        if len(ids) > 1:
            self.add_error(None, f"one column at most is the id column, not {', '.join(map(repr, ids))}")
        return data

    def offer_labels(self, labels: list[str]) -> None:
        self.fields["positive_label"].widget.choices = [("", "—")] + [(label, label) for label in labels]

    @property
    def column_choices_apply(self) -> bool:
        """Whether the rows' roles and types were chosen for this target and template."""
        data = self.cleaned_data
        return bool(data.get("basis")) and data["basis"] == basis_of(data["target"], data.get("template"))

    def proposal_arguments(self) -> dict:
        """The keyword arguments of `task_binding_proposal` / `task_binding_create` (but the
        version) the choices make: the target and template, and, where they apply, the inputs
        with their types, the id column, the labels and the positive label."""
        data = self.cleaned_data
        arguments = {"target": data["target"], "template": data.get("template") or None}
        if not self.column_choices_apply:
            return arguments
        roles = {name: (data.get(f"role_{index}"), data.get(f"type_{index}"))
                 for index, name in enumerate(self.column_names) if name != data["target"]}
        arguments["inputs"] = [{"name": name, "type": kind} for name, (role, kind) in roles.items()
                               if role == Role.INPUT and kind]
        id_column = next((name for name, (role, _) in roles.items() if role == Role.ID), None)
        if id_column is not None:
            arguments["id_column"] = id_column
        labels = [line.strip() for line in data.get("labels", "").splitlines() if line.strip()]
        if labels:
            arguments["labels"] = labels
        if data.get("positive_label"):
            arguments["positive_label"] = data["positive_label"]
        return arguments


def form_initial(proposal: BindingProposal, columns: list[dict], model_name: str) -> dict:
    """The form's values as a proposal makes them: each row's role and type, the labels in
    their order, and the basis they were proposed for."""
    inputs = {entry["name"]: entry["type"] for entry in proposal.inputs}
    inferred = {column.original_name: column for column in proposal.columns}
    initial = {
        "target": proposal.target_column or "", "template": proposal.template or "",
        "basis": basis_of(proposal.target_column, proposal.template) if proposal.target_column else "",
        "labels": "\n".join(proposal.labels), "positive_label": proposal.positive_label,
        "model_name": model_name,
    }
    for index, column in enumerate(columns):
        name = column["name"]
        if name in inputs:
            role = Role.INPUT
        elif name == proposal.id_column:
            role = Role.ID
        else:
            role = Role.LEFT_OUT
        column_type = inputs.get(name) or (inferred[name].type if name in inferred else None)
        initial[f"role_{index}"] = role.value
        initial[f"type_{index}"] = str(column_type) if column_type else ColumnType.CATEGORY.value
    return initial
