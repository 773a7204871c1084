from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "indus.inference"
