"""Forms of the registry's admin pages. They only collect input: the services validate it."""
from django import forms
from django.core.exceptions import ValidationError

ALIAS_SUGGESTIONS = ("production", "staging")


class AliasForm(forms.Form):
    # No pattern here: model_alias_set says what a good name is, and its message is shown.
    alias = forms.CharField(
        label="Alias",
        widget=forms.TextInput(attrs={"list": "alias-suggestions", "autocomplete": "off", "size": 20}),
    )

    # The services name the alias "name"; this form calls it "alias".
    SERVICE_FIELDS = {"name": "alias"}

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's field-keyed ValidationError next to the matching field, or above the
        form for fields the form lacks."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            field = self.SERVICE_FIELDS.get(field, field)
            self.add_error(field if field in self.fields else None, errors)
