from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "indus.plugins"
    verbose_name = "Plugins"
