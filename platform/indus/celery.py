"""The Celery application shared by the web process (which only sends) and the workers."""
import os

from celery import Celery
from kombu import Queue
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "indus.settings")

# `gpu` carries ML jobs to solo-pool workers, one per GPU; `cpu` carries data jobs and upkeep.
QUEUES = ("gpu", "cpu")

# `sqla+...` broker URLs (the embedded default) get kombu's SQLAlchemy transport, polled faster.
TRANSPORT_ALIASES["sqla"] = "indus.core.embedded_broker:Transport"

app = Celery("indus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = tuple(Queue(name) for name in QUEUES)
app.autodiscover_tasks()
