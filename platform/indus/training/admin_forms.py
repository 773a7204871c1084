"""The admin's fine-tuning launch form: a project and a task first, then the fields the task's
contract and the Hyperparameter table call for. Like every launch form it only gathers and
types the values: `fine_tune_submit` decides what is valid, and its field-keyed errors are put
back next to the fields (`ServiceErrorsForm`)."""
from django import forms
from django.core.exceptions import ValidationError

from indus.core.admin_forms import ServiceErrorsForm
from indus.datasets.kind import DATASET_VERSION
from indus.jobs.admin_forms import ProjectObjectChoiceField
from indus.jobs.selectors import project_objects
from indus.plugins.manager import get_registry
from indus.registry.references import MODEL_VERSION
from indus.tenancy.admin_scoping import projects_where
from indus.tenancy.models import Project, Role
from indus.training.hyperparameters import BY_NAME, HYPERPARAMETERS, Hyperparameter, defaults, validate_hyperparameters
from indus.training.kind import FINE_TUNE


def hyperparameter_field(spec: Hyperparameter, *, default=None, backbone: str | None = None) -> forms.Field:
    """A form field for one row of the Hyperparameter table, starting at the default resolved
    for the chosen backbone and task. Bounds are left to the service, so that the table's own
    messages ("must be greater than 0, not 0") are the ones shown."""
    default = spec.default if default is None else default
    help_text = f"{spec.help} (default for {backbone}: {default})" if backbone else spec.help
    common = {"label": spec.name.replace("_", " ").capitalize(), "help_text": help_text, "initial": default}
    if spec.kind is bool:
        return forms.BooleanField(required=False, **common)
    if spec.kind is int:
        return forms.IntegerField(**common)
    return forms.FloatField(widget=forms.NumberInput(attrs={"step": "any"}), **common)


class _ChoosesTask:
    """Reads a field's value before validation (from the data, or the initial values of an
    unbound form), or None when it is missing or not a valid choice."""

    def _chosen(self, name: str):
        field = self.fields[name]
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        if raw in (None, ""):
            return None
        try:
            return field.clean(raw.pk if hasattr(raw, "pk") else raw)
        except ValidationError:
            return None


class FineTuneLaunchForm(_ChoosesTask, ServiceErrorsForm):
    """Choose a project and a task; the rest of the form is then built from the task's contract
    and the Hyperparameter table."""

    project = forms.ModelChoiceField(queryset=Project.objects.none(), empty_label="— choose a project —")
    task = forms.ChoiceField(help_text="the plugin task to fine-tune for; the form reloads for it")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        registry = get_registry()
        projects = projects_where(user, Role.EDITOR)
        self.fields["project"].queryset = projects
        self.fields["task"].choices = [("", "— choose a task —")] + [
            (name, f"{task.title} ({name})") for name, task in sorted(registry.tasks.items())
        ]
        if not self.is_bound and not self.initial.get("project") and len(projects) == 1:
            self.initial["project"] = projects[0].pk
        self.project = self._chosen("project")
        task_name = self._chosen("task")
        self.task = registry.tasks.get(task_name) if task_name else None
        self.hyperparameter_errors: list[str] = []
        if self.project is not None and self.task is not None:
            self._add_launch_fields(registry)

    def _add_launch_fields(self, registry) -> None:
        project, task = self.project, self.task
        self.fields["dataset_version"] = ProjectObjectChoiceField(
            reference=DATASET_VERSION,
            queryset=project_objects(reference=DATASET_VERSION, projects=[project]).order_by("dataset__name", "-number"),
            empty_label="— choose a dataset version —",
            help_text=f"its columns must fit the task: {', '.join(c.name for c in task.columns)}"
            f" and the target {task.target.column}",
        )
        self.fields["model_name"] = forms.CharField(
            initial=task.name.split(".", 1)[1],
            help_text=FINE_TUNE.input("model_name").help,
        )
        backbones = [b for b in registry.backbones.values() if task.modality in b.modalities]
        self.fields["backbone"] = forms.ChoiceField(
            choices=[(b.name, f"{b.title} ({b.name})") for b in sorted(backbones, key=lambda b: b.name)],
            initial=task.backbone,
            help_text=f"an encoder of {task.modality} data; the task's own is {task.backbone}",
        )
        self.fields["parent_version"] = ProjectObjectChoiceField(
            reference=MODEL_VERSION,
            queryset=project_objects(reference=MODEL_VERSION, projects=[project])
            .filter(model__task=task.name).order_by("model__name", "-number"),
            required=False,
            empty_label="— none: start from the pretrained backbone —",
            help_text="warm start from a version of a model of this task",
        )
        processes = FINE_TUNE.input("processes")
        self.fields["processes"] = forms.IntegerField(initial=processes.default, help_text=processes.help)
        # The defaults shown are those of the chosen backbone (choosing another reloads the form).
        chosen = registry.backbones.get(self._chosen("backbone") or task.backbone)
        resolved = defaults(backbone=chosen, task=task)
        for spec in HYPERPARAMETERS:
            assert spec.name not in self.fields, f"hyperparameter {spec.name} hides a form field"
            self.fields[spec.name] = hyperparameter_field(spec, default=resolved[spec.name],
                                                          backbone=chosen.name if chosen else None)

    @property
    def ready(self) -> bool:
        """Whether the form has everything a launch needs (a project and a task are chosen)."""
        return "dataset_version" in self.fields

    def fieldsets(self) -> list[dict]:
        def bound(names):
            return [self[name] for name in names if name in self.fields]

        sets = [{"id": "fieldset-task", "title": "Project and task", "fields": bound(["project", "task"])}]
        if self.ready:
            sets += [
                {"id": "fieldset-model", "title": "Data and model",
                 "fields": bound(["dataset_version", "model_name", "backbone", "parent_version", "processes"])},
                {"id": "fieldset-hyperparameters", "title": "Hyperparameters",
                 "fields": bound([h.name for h in HYPERPARAMETERS]), "errors": self.hyperparameter_errors},
            ]
        return sets

    def clean(self):
        # The hyperparameters are checked against the table even when another field is wrong,
        # so that every bad value is named at once; fine_tune_submit checks them again.
        data = super().clean()
        backbone = get_registry().backbones.get(data.get("backbone")) if self.ready else None
        if backbone is not None and all(h.name in data for h in HYPERPARAMETERS):
            try:
                validate_hyperparameters({h.name: data[h.name] for h in HYPERPARAMETERS}, backbone=backbone,
                                         task=self.task)
            except ValidationError as error:
                self.add_service_error(error)
        return data

    def submit_arguments(self) -> dict:
        """The keyword arguments of `fine_tune_submit` (but created_by)."""
        data = self.cleaned_data
        return {
            "project": self.project,
            "task": self.task.name,
            "dataset_version": data["dataset_version"],
            "model_name": data["model_name"],
            "backbone": data["backbone"],
            "parent_version": data["parent_version"],
            "processes": data["processes"],
            "hyperparameters": {h.name: data[h.name] for h in HYPERPARAMETERS},
        }

    def add_service_error(self, error: ValidationError) -> None:
        """The service names a hyperparameter "hyperparameters.<name>": its message goes next to
        the field of that name, or above the hyperparameters when no field has it."""
        if not hasattr(error, "error_dict"):
            return super().add_service_error(error)
        for key, messages in error.message_dict.items():
            name = key.removeprefix("hyperparameters.")
            if key == "hyperparameters" or (key != name and name not in BY_NAME):
                self.hyperparameter_errors += [m if key == "hyperparameters" else f"{name}: {m}" for m in messages]
            else:
                super().add_service_error(ValidationError({name: messages}))
