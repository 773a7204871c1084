"""The bodies POST /projects/{slug}/jobs/ takes: one serializer per submittable job kind,
generated from the kind's input table (`indus.plugins.job_kind`), so that a new kind needs no
edit here. The endpoint's OpenAPI entry is their polymorphism on `kind`, and the CLI builds
`jobs submit`'s flags from that entry (`x-indus-flags` names a flag's other spellings).
"""
import functools
import re

from django.utils.module_loading import import_string
from rest_framework import serializers

from indus.api.serializers.common import InputSerializer
from indus.jobs.kinds import submittable_kinds
from indus.jobs.models import Job
from indus.jobs.selectors import project_object
from indus.plugins.job_kind import InputField, JobKind

FLAGS_EXTENSION = "x-indus-flags"


class JobSubmission(InputSerializer):
    kind_declaration: JobKind

    def submit(self, *, project, user) -> Job:
        """Create the job through the kind's service (which raises ValidationErrors per field),
        with each referenced object found in the project."""
        values = {}
        for item in self.kind_declaration.inputs:
            value = self.validated_data.get(item.name)
            if item.references is not None and value is not None:
                value = project_object(reference=item.references, project=project, pk=value, field=item.name)
            values[item.name] = value
        return import_string(self.kind_declaration.submit)(project=project, created_by=user, **values)


def serializer_field(item: InputField) -> serializers.Field:
    """The DRF field of one input: its type, default, bounds and help."""
    options = {"help_text": f"id of {item.help}" if item.references else item.help}
    if item.required:
        options["required"] = True
    else:
        options["default"] = dict if item.default == {} else item.default
        options["allow_null"] = item.nullable
    if item.choices:
        return serializers.ChoiceField(choices=item.values(), **options)
    if item.type is int:
        return serializers.IntegerField(min_value=item.minimum, max_value=item.maximum, **options)
    if item.type is float:
        return serializers.FloatField(min_value=item.minimum, max_value=item.maximum, **options)
    if item.type is bool:
        return serializers.BooleanField(**options)
    if item.type is dict:
        return serializers.DictField(**options)
    if item.type is list:
        return serializers.ListField(**options)
    return serializers.CharField(max_length=item.max_length, **options)


def component_name(kind: JobKind) -> str:
    return "".join(word.capitalize() for word in re.split(r"[._]", kind.name)) + "Submission"


@functools.cache  # kinds are hashed by identity: a rebuilt plugin registry gets new classes
def _submission_class(kind: JobKind) -> type[JobSubmission]:
    fields = {item.name: serializer_field(item) for item in kind.inputs}
    # The discriminator: each kind's schema accepts exactly its own name.
    fields["kind"] = serializers.ChoiceField(choices=[kind.name], help_text="the job kind")
    return type(component_name(kind), (JobSubmission,), {**fields, "kind_declaration": kind,
                                                         "__doc__": f"A {kind.label} job."})


def job_submissions() -> dict[str, type[JobSubmission]]:
    """{kind name: its submission serializer}, for every submittable kind installed."""
    return {name: _submission_class(kind) for name, kind in submittable_kinds().items()}


def add_flag_spellings(result, generator, request, public):
    """drf-spectacular postprocessing hook: each submission property whose input has other CLI
    spellings says so, so that the CLI, which reads only this schema, offers them."""
    schemas = result.get("components", {}).get("schemas", {})
    for kind in submittable_kinds().values():
        for suffix in ("Request", ""):
            properties = schemas.get(component_name(kind) + suffix, {}).get("properties", {})
            for item in kind.inputs:
                if item.flags and item.name in properties:
                    properties[item.name][FLAGS_EXTENSION] = list(item.flags)
    return result
