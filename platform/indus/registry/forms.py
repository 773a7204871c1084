"""Forms of the registry's admin pages. They only collect input: the services validate it."""
from django import forms

from indus.core.admin_forms import ServiceErrorsForm

ALIAS_SUGGESTIONS = ("production", "staging")


class AliasForm(ServiceErrorsForm):
    # No pattern here: model_alias_set says what a good name is, and its message is shown.
    alias = forms.CharField(
        label="Alias",
        widget=forms.TextInput(attrs={"list": "alias-suggestions", "autocomplete": "off", "size": 20}),
    )

    force = forms.BooleanField(
        required=False, label="Force",
        help_text="set it even though this version does not beat the trivial baseline (the audit log records it)",
    )

    canary_version = forms.IntegerField(
        required=False, min_value=1, label="Canary version",
        widget=forms.NumberInput(attrs={"size": 4}),
        help_text="optional: another version number that answers a share of the requests served under the alias",
    )
    canary_percent = forms.IntegerField(
        required=False, min_value=0, max_value=100, initial=0, label="Canary share (%)",
        widget=forms.NumberInput(attrs={"size": 4}),
    )
    log_sample_rate = forms.FloatField(
        required=False, min_value=0, max_value=1, label="Log requests (share 0-1)",
        widget=forms.NumberInput(attrs={"size": 4, "step": "any"}),
        help_text="optional: the share of served rows written, with their predictions, to the dataset <model>-served; "
        "leave empty to keep the alias's setting",
    )
    log_max_rows_per_hour = forms.IntegerField(
        required=False, min_value=0, label="at most (rows per hour)", widget=forms.NumberInput(attrs={"size": 6}),
    )

    # The services name the alias "name"; this form calls it "alias". A refused version is
    # named "version" there: its message goes next to the checkbox that overrides it.
    service_fields = {"name": "alias", "version": "force"}
