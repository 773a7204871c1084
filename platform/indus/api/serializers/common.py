from django.http import QueryDict
from rest_framework import serializers


class UsernameField(serializers.CharField):
    """Who made something: a username, or null once that user is deleted."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def get_attribute(self, instance):
        user = super().get_attribute(instance)
        return None if user is None else user.get_username()

    def to_representation(self, value):
        return value


# What JSON type each kind of field takes; the first match wins (BooleanField before the
# number fields: in Python a bool is an int).
JSON_TYPES = (
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.IntegerField, (int,), "a whole number"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.CharField, (str,), "a string"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.ListField, (list,), "a list"),
)


class InputSerializer(serializers.Serializer):
    """A request body. Each field takes the JSON type its schema says: DRF would otherwise
    turn 5 into "5" or "5" into 5, accepting what the documented schema refuses."""

    def to_internal_value(self, data):
        if isinstance(data, dict) and not isinstance(data, QueryDict):  # form fields are all text
            wrong = {
                name: [f"must be {expected}, not {type(data[name]).__name__}"]
                for name, field in self.fields.items()
                if not field.read_only and data.get(name) is not None
                and (expected := _mistyped(field, data[name]))
            }
            if wrong:
                raise serializers.ValidationError(wrong, code="invalid_type")
        return super().to_internal_value(data)


def _mistyped(field, value) -> str | None:
    """What the field expects, when the value is not of its JSON type; else None."""
    for field_class, types, expected in JSON_TYPES:
        if isinstance(field, field_class):
            wrong_bool = isinstance(value, bool) and bool not in types
            return expected if wrong_bool or not isinstance(value, types) else None
    return None
