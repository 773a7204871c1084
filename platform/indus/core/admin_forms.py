"""What the admin's forms share: they gather and type values, the services decide what is valid,
and the services' field-keyed errors are shown next to the fields they name."""
from django import forms
from django.core.exceptions import ValidationError


class ServiceErrorsForm(forms.Form):
    # Where a service names a field differently from the form: {service's name: form's name}.
    service_fields: dict[str, str] = {}

    def field_for_service_key(self, key: str) -> str | None:
        """The form field a service's error key belongs to, or None to show it above the form."""
        name = self.service_fields.get(key, key)
        return name if name in self.fields else None

    def add_service_error(self, error: ValidationError) -> None:
        """Each message of a service's ValidationError next to the field it names; messages for
        fields the form lacks go above the form, prefixed by the service's name for them."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            field = self.field_for_service_key(key)
            self.add_error(field, messages if field else [f"{key}: {message}" for message in messages])
