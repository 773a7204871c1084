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

    # The services name the alias "name"; this form calls it "alias".
    service_fields = {"name": "alias"}
