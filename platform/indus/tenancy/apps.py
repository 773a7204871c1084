from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "indus.tenancy"
