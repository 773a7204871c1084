"""The embedded default's broker: kombu's SQLAlchemy transport over SQLite, polled faster.

kombu polls a database queue once a second, so an idle worker took up to a second to see a job
(and each part of a job split across workers as long again), and as long to notice it was asked
to stop. Its SQLAlchemy transport hands every transport option to `create_engine`, so the
interval cannot be set as an option: this subclass sets it. Redis pushes, and is not affected.
"""
from kombu.transport import sqlalchemy

# A poll is one indexed SELECT on a local file; five a second per idle worker cost nothing.
POLLING_SECONDS = 0.2


class Transport(sqlalchemy.Transport):
    polling_interval = POLLING_SECONDS
