"""Request logging for the next training round: a sampled, bounded share of the rows served
under an alias, with their predictions, kept in memory and stored now and then as a version of
the project's dataset `<model>-served`.

Opt-in per alias (`ModelAlias.log_sample_rate`, 0 by default, and `log_max_rows_per_hour`):
an alias is what applications call, so it is what an operator turns logging on for, like its
canary; a request for an explicit version number is never logged. Each row is sampled on its
own. Two bounds keep memory flat and the stored data small: the alias's rows per hour (by
clock hour; each of the INDUS_SERVING_REPLICAS processes keeps to its share, so that together
they keep to the alias's bound) and the rows buffered in this process
(INDUS_SERVING_REQUEST_LOG_BUFFER_ROWS); a row past either is dropped and counted in
`indus_serving_logged_rows_dropped_total`. Offering rows is a few dictionary operations on the
event loop; storing them (Parquet, profile, storage, the version row) runs on the server's
database thread.
"""
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from indus.serving import metrics
from indus.serving.directory import ServedTarget, VersionRef

#: Columns the log adds before the model's inputs and its output columns.
SERVED_AT, MODEL_VERSION, ALIAS = "served_at", "model_version", "alias"


@dataclass(frozen=True)
class LoggedBatch:
    """Rows of one model version waiting to be stored: the dataset they go to and the rows."""

    project: str
    model: str
    rows: list[dict]


class RequestLog:
    def __init__(self, *, max_buffered_rows: int, replicas: int = 1, clock=time.time, sample=random.random):
        self.max_buffered_rows = max_buffered_rows
        self.replicas = replicas
        self._clock = clock
        self._sample = sample
        self._buffered: dict[tuple, list[dict]] = defaultdict(list)  # (project, model, version number) -> rows
        self._buffered_rows = 0
        self._logged_this_hour: dict[tuple, tuple[int, int]] = {}  # target key -> (hour, rows logged in it)

    @property
    def buffered_rows(self) -> int:
        return self._buffered_rows

    def offer(self, target: ServedTarget, version: VersionRef, inputs: pa.Table, predictions: list[dict]) -> None:
        """Keep the sampled rows of an answered request, within the bounds."""
        if target.log_sample_rate <= 0:
            return
        sampled = [index for index in range(inputs.num_rows) if self._sample() < target.log_sample_rate]
        if not sampled:
            return
        model = f"{target.project}.{target.model}"
        now = self._clock()
        hour = int(now // 3600)
        window, logged = self._logged_this_hour.get(target.key, (hour, 0))
        if window != hour:
            logged = 0
        room_this_hour = max(math.ceil(target.log_max_rows_per_hour / self.replicas) - logged, 0)
        room_in_memory = max(self.max_buffered_rows - self._buffered_rows, 0)
        kept = sampled[: min(room_this_hour, room_in_memory)]
        if len(sampled) > room_this_hour:
            metrics.LOG_DROPPED_ROWS.labels(model=model, reason="hourly_bound").inc(len(sampled) - room_this_hour)
        over_memory = min(len(sampled), room_this_hour) - len(kept)
        if over_memory > 0:
            metrics.LOG_DROPPED_ROWS.labels(model=model, reason="buffer_full").inc(over_memory)
        self._logged_this_hour[target.key] = (hour, logged + len(kept))
        if not kept:
            return
        served_at = datetime.fromtimestamp(now, UTC)
        rows = inputs.take(kept).to_pylist()
        buffered = self._buffered[(target.project, target.model, version.number)]
        for index, row in zip(kept, rows):
            buffered.append(served_row(row, predictions[index], served_at=served_at, version=version.number,
                                       alias=target.selector))
        self._buffered_rows += len(kept)
        metrics.LOGGED_ROWS.labels(model=model).inc(len(kept))

    def take(self) -> list[LoggedBatch]:
        """Every buffered row, grouped by model version (one schema per group), and an empty buffer."""
        batches = [LoggedBatch(project, model, rows) for (project, model, _), rows in self._buffered.items() if rows]
        self._buffered = defaultdict(list)
        self._buffered_rows = 0
        return batches


def served_row(inputs: dict, prediction: dict, *, served_at: datetime, version: int, alias: str) -> dict:
    """One stored row: when and by which version it was served, the inputs under the task's
    column names, then the output row's columns (but its place in the request), renamed
    `predicted_<name>` where an input has the same name."""
    row = {SERVED_AT: served_at, MODEL_VERSION: version, ALIAS: alias, **inputs}
    for name, value in prediction.items():
        if name != "row":
            row[f"predicted_{name}" if name in row else name] = value
    return row
