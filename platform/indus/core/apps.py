from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "indus.core"
    label = "indus_core"

    def ready(self):
        # The web process sends jobs through `celery.current_app`: configure the Indus app
        # (broker, queues) before the first message, not the default one that points nowhere.
        from indus import celery  # noqa: F401
