"""Query-string filters of the list endpoints (django-filter)."""
import django_filters

from indus.datasets.models import Dataset
from indus.jobs.models import Job
from indus.jobs.states import JobState
from indus.registry.models import RegisteredModel
from indus.tenancy.models import AuditEntry


class FilterSet(django_filters.FilterSet):
    """A filter given with no value is refused: `?state=` is a mistake, not "any state"."""

    def is_valid(self):
        valid = super().is_valid()
        blank = [name for name in self.filters if self.data.get(name, None) == ""]
        for name in blank:
            self.form.add_error(name, "give a value, or leave the parameter out")
        return valid and not blank


class JobFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=JobState.choices)
    kind = django_filters.CharFilter(help_text="e.g. fine_tune, import, sql_import")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte",
                                                     help_text="ISO 8601, inclusive")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt",
                                                      help_text="ISO 8601, exclusive")

    class Meta:
        model = Job
        fields = ["state", "kind", "created_after", "created_before"]


class DatasetFilter(FilterSet):
    name = django_filters.CharFilter(help_text="exact name")

    class Meta:
        model = Dataset
        fields = ["name"]


class RegisteredModelFilter(FilterSet):
    name = django_filters.CharFilter(help_text="exact name")
    task = django_filters.CharFilter()

    class Meta:
        model = RegisteredModel
        fields = ["name", "task"]


class AuditEntryFilter(FilterSet):
    action = django_filters.CharFilter(help_text="e.g. job.cancel")

    class Meta:
        model = AuditEntry
        fields = ["action"]
