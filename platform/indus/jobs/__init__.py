"""Jobs: the state machine, dispatch to Celery queues, execution on workers, reconciliation."""
