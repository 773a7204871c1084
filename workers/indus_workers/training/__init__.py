"""Fine-tuning: a plain spec in, a model folder, metrics and reports out.

`train(spec, events)` runs in the process that calls it; `python -m indus_workers.training`
runs it from a spec file and writes events as JSON lines, which is how a Celery worker drives
it (one process, or several under torchrun for DDP).
"""
