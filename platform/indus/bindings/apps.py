from django.apps import AppConfig


class BindingsConfig(AppConfig):
    name = "indus.bindings"
    verbose_name = "Task bindings"
