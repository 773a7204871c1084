from django.apps import AppConfig


class ServingConfig(AppConfig):
    """Holds the `serve` command; no models. Nothing here is imported by the web process but
    this config: the server module (torch, KServe) loads in `serve` only."""

    name = "indus.serving"
    label = "serving"
