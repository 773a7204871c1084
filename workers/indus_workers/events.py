"""How a run (training, inference) reports to whoever runs it, and how it is told to stop.

`RunEvents` is what the runtime calls: progress, metrics, log lines and checkpoint notices
out, a stop request in. `JsonlRunEvents` writes them as JSON lines to a file and reads the
stop request from the existence of a file, so a Celery worker can drive a training process
(or a torchrun group) it does not share memory with (indus.training.process reads them).
The inference runtime runs inside the worker process and reports through `RunEvents` directly.
"""
import json
import os
import time
from pathlib import Path
from typing import Protocol


class RunEvents(Protocol):
    def progress(self, fraction: float, message: str = "") -> None: ...

    def metric(self, name: str, step: int, value: float) -> None: ...

    def log(self, message: str) -> None: ...

    def checkpoint(self, path: str, step: int) -> None: ...

    def should_stop(self) -> bool: ...


class JsonlRunEvents:
    def __init__(self, events_path: str, stop_path: str):
        self.events_path = Path(events_path)
        self.stop_path = Path(stop_path)

    def _write(self, **event) -> None:
        event["at"] = time.time()
        # One short line per write with O_APPEND: a reader never sees half an event.
        with self.events_path.open("a") as events:
            events.write(json.dumps(event) + "\n")
            events.flush()
            os.fsync(events.fileno())

    def progress(self, fraction: float, message: str = "") -> None:
        self._write(event="progress", fraction=fraction, message=message)

    def metric(self, name: str, step: int, value: float) -> None:
        self._write(event="metric", name=name, step=step, value=value)

    def log(self, message: str) -> None:
        self._write(event="log", message=message)

    def checkpoint(self, path: str, step: int) -> None:
        self._write(event="checkpoint", path=path, step=step)

    def should_stop(self) -> bool:
        return self.stop_path.exists()
