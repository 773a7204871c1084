"""Indus control plane. Importing the Celery app here makes `celery -A indus` find it."""
from indus.celery import app as celery_app

__all__ = ["celery_app"]
