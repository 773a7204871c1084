"""The admin's forms that launch jobs, generated from each kind's input table. They only gather
and type the values: the kind's submit service decides what is valid, and its field-keyed
errors are put back next to the fields (`ServiceErrorsForm`). A kind whose form is more than
its inputs names its own (`JobKind.admin_form`, as fine-tuning does)."""
from django import forms
from django.utils.module_loading import import_string

from indus.core.admin_forms import ServiceErrorsForm
from indus.jobs.selectors import project_objects
from indus.plugins.job_kind import AdminInput, InputField, JobKind, ProjectObject
from indus.tenancy.admin_scoping import projects_where
from indus.tenancy.models import Project, Role


class ProjectObjectChoiceField(forms.ModelChoiceField):
    """A choice of the objects a job input references, labelled as their declaration says."""

    def __init__(self, *args, reference: ProjectObject, with_project: bool = False, **kwargs):
        self.reference, self.with_project = reference, with_project
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return self.reference.label(obj, self.with_project)


def input_form_field(item: InputField) -> forms.Field:
    """A form field for one input. Bounds are left to the service, so that its messages
    ("must be a whole number from 1 to 4096") are the ones shown."""
    common = {"label": item.name.replace("_", " ").capitalize(), "help_text": item.help}
    if not item.required:
        common["initial"] = item.default
    if item.type is bool:
        return forms.BooleanField(required=False, **common)
    required = item.required
    if item.choices:
        return forms.ChoiceField(choices=[(value, f"{value}: {meaning}" if meaning else value)
                                          for value, meaning in item.choices], required=required, **common)
    if item.type is int:
        return forms.IntegerField(required=required, **common)
    if item.type is float:
        return forms.FloatField(required=required, widget=forms.NumberInput(attrs={"step": "any"}), **common)
    if item.type in (dict, list):
        return forms.JSONField(required=required, **common)
    return forms.CharField(required=required, max_length=item.max_length, **common)


class KindLaunchForm(ServiceErrorsForm):
    """The launch form of one kind (`launch_form_class` makes its class): a field per input,
    referenced objects chosen among the user's editor projects. The job's project is that of
    the first chosen object, or a chosen project when the kind references none; once an object
    is preselected (`?model_version=`), the other choices are narrowed to its project."""

    kind: JobKind

    def __init__(self, *args, user, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        projects = projects_where(user, Role.EDITOR)
        self.references = [item for item in self.asked_inputs if item.references]
        if not self.references:
            self.fields["project"] = forms.ModelChoiceField(queryset=projects, empty_label="— choose a project —")
        for index, item in enumerate(self.asked_inputs):
            if isinstance(item.admin, AdminInput):
                self.fields[item.admin.name] = item.admin.field()
            elif item.references:
                # The first reference is the one a page preselects: it stays open to every project.
                narrowed = project is not None and index > 0
                reference = item.references
                self.fields[item.name] = ProjectObjectChoiceField(
                    reference=reference,
                    queryset=project_objects(reference=reference, projects=[project] if narrowed else projects)
                    .order_by(*reference.ordering),
                    with_project=not narrowed and len(projects) > 1,
                    required=item.required,
                    empty_label=f"— choose a {reference.noun} —" if item.required else "— none —",
                    help_text=item.help,
                )
            else:
                self.fields[item.name] = input_form_field(item)
        self.service_fields = {item.name: item.admin.name for item in self.asked_inputs
                               if isinstance(item.admin, AdminInput)}

    @property
    def asked_inputs(self) -> list[InputField]:
        return [item for item in self.kind.inputs if item.admin]

    def fieldsets(self) -> list[dict]:
        objects = [self[item.name] for item in self.references]
        if "project" in self.fields:
            objects.insert(0, self["project"])
        options = [self[name] for name in self.fields if name not in {field.name for field in objects}]
        title = " and ".join(item.references.noun for item in self.references).capitalize() or "Project"
        sets = [{"id": "fieldset-input", "title": title, "fields": objects}]
        if options:
            sets.append({"id": "fieldset-options", "title": "Options", "fields": options})
        return sets

    def submit_arguments(self) -> dict:
        """The keyword arguments of the kind's submit service (but created_by)."""
        data = self.cleaned_data
        arguments = {}
        for item in self.asked_inputs:
            if isinstance(item.admin, AdminInput):
                arguments[item.name] = item.admin.value(data[item.admin.name])
            elif item.type is str and not item.required and data[item.name] in ("", None):
                arguments[item.name] = item.default  # an empty text box asks for the default
            else:
                arguments[item.name] = data[item.name]
        chosen = [(item.references, arguments[item.name]) for item in self.references if arguments[item.name] is not None]
        arguments["project"] = chosen[0][0].project_of(chosen[0][1]) if chosen else data.get("project")
        return arguments


def launch_form_class(kind: JobKind) -> type[forms.Form]:
    if kind.admin_form:
        return import_string(kind.admin_form)
    return type(f"{kind.name.title().replace('.', '').replace('_', '')}LaunchForm", (KindLaunchForm,), {"kind": kind})
