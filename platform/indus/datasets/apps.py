from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "indus.datasets"

    def ready(self):
        from indus.datasets import checks  # noqa: F401  (registers the settings checks)
