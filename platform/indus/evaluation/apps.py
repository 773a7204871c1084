from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "indus.evaluation"
