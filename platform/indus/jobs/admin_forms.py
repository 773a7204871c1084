"""The admin's forms that launch jobs. They only gather and type the values: the services
(`fine_tune_submit`, `batch_inference_submit`) decide what is valid, and their field-keyed
errors are put back next to the fields (`ServiceErrorsForm`)."""
from django import forms
from django.core.exceptions import ValidationError

from indus.core.admin_forms import ServiceErrorsForm
from indus.core.admin_scoping import projects_where
from indus.datasets.models import DatasetVersion
from indus.inference.services import BAD_ROW_POLICIES, MAX_BATCH_SIZE, OUTPUT_FORMATS
from indus.plugins.manager import get_registry
from indus.registry.models import ModelVersion
from indus.tenancy.models import Project, Role
from indus.training.hyperparameters import BY_NAME, HYPERPARAMETERS, Hyperparameter, validate_hyperparameters


class DatasetVersionChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, with_project: bool = False, **kwargs):
        self.with_project = with_project
        super().__init__(*args, **kwargs)

    def label_from_instance(self, version: DatasetVersion) -> str:
        prefix = f"{version.dataset.project.slug}/" if self.with_project else ""
        return f"{prefix}{version.dataset.name} v{version.number} ({version.row_count:,} rows)"


class ModelVersionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, version: ModelVersion) -> str:
        return f"{version.model.project.slug}/{version.model.name} v{version.number} ({version.model.task})"


def hyperparameter_field(spec: Hyperparameter) -> forms.Field:
    """A form field for one row of the Hyperparameter table. Bounds are left to the service, so
    that the table's own messages ("must be greater than 0, not 0") are the ones shown."""
    common = {"label": spec.name.replace("_", " ").capitalize(), "help_text": spec.help, "initial": spec.default}
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
        self.fields["dataset_version"] = DatasetVersionChoiceField(
            queryset=DatasetVersion.objects.filter(dataset__project=project)
            .select_related("dataset__project").order_by("dataset__name", "-number"),
            empty_label="— choose a dataset version —",
            help_text=f"its columns must fit the task: {', '.join(c.name for c in task.columns)}"
            f" and the target {task.target.column}",
        )
        self.fields["model_name"] = forms.CharField(
            initial=task.name.split(".", 1)[1],
            help_text="the registered model the result becomes a new version of",
        )
        backbones = [b for b in registry.backbones.values() if task.modality in b.modalities]
        self.fields["backbone"] = forms.ChoiceField(
            choices=[(b.name, f"{b.title} ({b.name})") for b in sorted(backbones, key=lambda b: b.name)],
            initial=task.backbone,
            help_text=f"an encoder of {task.modality} data; the task's own is {task.backbone}",
        )
        self.fields["parent_version"] = ModelVersionChoiceField(
            queryset=ModelVersion.objects.filter(model__project=project, model__task=task.name)
            .select_related("model__project").order_by("model__name", "-number"),
            required=False,
            empty_label="— none: start from the pretrained backbone —",
            help_text="warm start from a version of a model of this task",
        )
        self.fields["processes"] = forms.IntegerField(initial=1, help_text="training processes (DDP)")
        for spec in HYPERPARAMETERS:
            assert spec.name not in self.fields, f"hyperparameter {spec.name} hides a form field"
            self.fields[spec.name] = hyperparameter_field(spec)

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
                validate_hyperparameters({h.name: data[h.name] for h in HYPERPARAMETERS}, backbone=backbone)
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


class ModelOnDataForm(ServiceErrorsForm):
    """A model version of the user's editor projects and a dataset version to run it on (of the
    model's project when it is chosen; the service checks the pair either way)."""

    model_version = ModelVersionChoiceField(queryset=ModelVersion.objects.none(),
                                            empty_label="— choose a model version —")
    dataset_version = DatasetVersionChoiceField(queryset=DatasetVersion.objects.none(),
                                                empty_label="— choose a dataset version —",
                                                help_text="the rows to predict for, in the model's project")

    def __init__(self, *args, user, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        projects = projects_where(user, Role.EDITOR)
        self.fields["model_version"].queryset = (
            ModelVersion.objects.filter(model__project__in=projects)
            .select_related("model__project").order_by("model__project__slug", "model__name", "-number")
        )
        datasets = DatasetVersion.objects.filter(dataset__project__in=[project] if project else projects)
        field = self.fields["dataset_version"]
        field.queryset = datasets.select_related("dataset__project").order_by(
            "dataset__project__slug", "dataset__name", "-number"
        )
        field.with_project = project is None and len(projects) > 1

    def input_fieldset(self) -> dict:
        return {"id": "fieldset-input", "title": "Model and data", "fields": [self["model_version"], self["dataset_version"]]}

    def model_on_data(self) -> dict:
        version = self.cleaned_data["model_version"]
        return {"project": version.model.project, "model_version": version, "dataset_version": self.cleaned_data["dataset_version"]}


class EvaluateLaunchForm(ModelOnDataForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset_version"].help_text = "labelled rows to score the model on: they need the task's target column"

    def fieldsets(self) -> list[dict]:
        return [self.input_fieldset()]

    def submit_arguments(self) -> dict:
        """The keyword arguments of `evaluation_submit` (but created_by)."""
        return self.model_on_data()


class BatchInferenceLaunchForm(ModelOnDataForm):
    output_format = forms.ChoiceField(choices=[(f, f) for f in OUTPUT_FORMATS], initial="parquet")
    id_column = forms.CharField(required=False,
                                help_text="a column copied to the output; empty: the task's id column if present")
    on_bad_rows = forms.ChoiceField(
        choices=[(p, {"fail": "fail: stop before any compute", "mark": "mark: an error column per bad row"}.get(p, p))
                 for p in BAD_ROW_POLICIES],
        initial="fail",
    )
    int8 = forms.BooleanField(required=False, label="Int8", help_text="dynamic int8 quantisation on CPU workers")
    explain_top = forms.IntegerField(required=False, label="Explain rows",
                                     help_text="explain the K highest-scoring rows; empty: explain none")
    batch_size = forms.IntegerField(initial=64, help_text=f"rows per forward pass, 1 to {MAX_BATCH_SIZE}")

    def fieldsets(self) -> list[dict]:
        return [
            self.input_fieldset(),
            {"id": "fieldset-options", "title": "Options",
             "fields": [self[name] for name in
                        ["output_format", "id_column", "on_bad_rows", "int8", "explain_top", "batch_size"]]},
        ]

    def submit_arguments(self) -> dict:
        """The keyword arguments of `batch_inference_submit` (but created_by)."""
        data = self.cleaned_data
        return {
            **self.model_on_data(),
            "output_format": data["output_format"],
            "id_column": data["id_column"] or None,
            "on_bad_rows": data["on_bad_rows"],
            "int8": data["int8"],
            "explain": None if data["explain_top"] is None else {"top": data["explain_top"]},
            "batch_size": data["batch_size"],
        }

    service_fields = {"explain": "explain_top"}
