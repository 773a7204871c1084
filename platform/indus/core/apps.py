from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "indus.core"
    label = "indus_core"
