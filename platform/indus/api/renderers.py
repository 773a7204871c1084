from rest_framework import renderers

from indus.core.json import json_safe


class JSONRenderer(renderers.JSONRenderer):
    """Strict JSON: a NaN or infinite float (a diverged loss, a profile of NaNs) is sent as
    null instead of failing the response or producing JSON that clients reject."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return super().render(json_safe(data), accepted_media_type, renderer_context)
