"""How the API's download endpoints choose their parser and renderer."""
from rest_framework.negotiation import BaseContentNegotiation


class DownloadNegotiation(BaseContentNegotiation):
    """A download is a zip whatever the client says it accepts (a browser asks for HTML), and
    an error on the way is the API's JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
