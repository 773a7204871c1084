"""Query-string filters of the list endpoints (django-filter)."""
from datetime import timedelta

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

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


# No place keeps a clock beyond UTC±14:00; PostgreSQL refuses offsets past ±15:59 outright.
MAX_UTC_OFFSET = timedelta(hours=14)


class TimeOnEarthField(IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is not None and moment.utcoffset() is not None and abs(moment.utcoffset()) > MAX_UTC_OFFSET:
            raise ValidationError("the time zone offset must be between -14:00 and +14:00", code="invalid")
        return moment


class TimeOnEarthFilter(django_filters.IsoDateTimeFilter):
    field_class = TimeOnEarthField


class JobFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=JobState.choices)
    kind = django_filters.CharFilter(help_text="e.g. fine_tune, import, sql_import")
    created_after = TimeOnEarthFilter(field_name="created_at", lookup_expr="gte",
                                                     help_text="ISO 8601, inclusive")
    created_before = TimeOnEarthFilter(field_name="created_at", lookup_expr="lt",
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
    token_prefix = django_filters.CharFilter(help_text="the changes made with one API token, e.g. a lost one")

    class Meta:
        model = AuditEntry
        fields = ["action", "token_prefix"]
