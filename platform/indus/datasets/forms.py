"""The admin's dataset forms. They only collect input: the services check it (file type and
size, the task, a duplicate name) and the admin shows their errors next to these fields."""
from django import forms

from indus.core.admin_forms import ServiceErrorsForm
from indus.tenancy.admin_scoping import projects_where
from indus.tenancy.models import Role


def task_choices() -> list[tuple[str, str]]:
    """The tasks that loaded plugins provide, as "name — title"."""
    from indus.plugins.manager import get_registry

    tasks = get_registry().tasks
    return [("", "— none —")] + [(name, f"{name} — {tasks[name].title}") for name in sorted(tasks)]


class DatasetUploadForm(ServiceErrorsForm):
    """A file to import as a new version of a dataset."""

    # A plain text value shown as a select: which tasks exist is for `dataset_upload` to say,
    # so its message ("no loaded plugin provides task ...") is the one the user sees.
    task = forms.CharField(
        required=False,
        widget=forms.Select,
        help_text="Optional: the import checks the data against this task's columns.",
    )
    file = forms.FileField(
        allow_empty_file=True,  # dataset_upload refuses an empty file, with its own message
        help_text="CSV, JSON Lines or Parquet.",
    )
    encoding = forms.CharField(
        required=False, initial="utf-8", max_length=40, help_text="Text encoding of a CSV or JSON Lines file."
    )
    delimiter = forms.CharField(
        required=False, initial=",", max_length=4, strip=False,
        help_text="Field separator of a CSV file; \\t for a tab.",
    )

    # Fieldsets for helpers.AdminForm; the add form puts its own fields first.
    advanced = ("Advanced", {"classes": ["collapse"], "fields": ["encoding", "delimiter"]})
    fieldsets = [(None, {"fields": ["task", "file"]}), advanced]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].widget.choices = task_choices()

    def upload_arguments(self) -> dict:
        """The keyword arguments of `dataset_upload` this form collected."""
        data = self.cleaned_data
        return {
            "file": data["file"],
            "task": data["task"] or None,
            "encoding": data["encoding"] or "utf-8",
            "delimiter": "\t" if data["delimiter"] == "\\t" else data["delimiter"] or ",",
        }


class DatasetAddForm(DatasetUploadForm):
    """A new dataset and its first file, in one step."""

    project = forms.ModelChoiceField(queryset=None)
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    field_order = ["project", "name", "description", "task", "file", "encoding", "delimiter"]
    fieldsets = [
        (None, {"fields": ["project", "name", "description", "task", "file"]}),
        DatasetUploadForm.advanced,
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the projects where the user may upload.
        self.fields["project"].queryset = projects_where(user, Role.EDITOR).order_by("slug")
