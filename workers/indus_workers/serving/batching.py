"""Dynamic batching: requests that arrive together are computed together, answered one by one.

Each request's rows wait in a bounded queue. The batcher's one task takes the waiting requests
as soon as they hold `max_batch_rows` rows, or when the oldest has waited `max_wait_seconds` or
as long as the last batch took to compute, whichever is shorter, and computes them in one call
on the compute executor (one forward, in the batch-inference runtime's length-sorted batches),
then answers each request with its own share. While a batch computes, the next one gathers.

Why the wait follows the compute: clients answered together come back spread over several
milliseconds (each reads its answer and sends again). A short fixed wait cut them into a big
batch and a batch of one or two, whose forward costs MiniLM nearly as much as the big one's:
half the batches under 32 clients were single rows at 2 ms, none at 10 ms, for 1.2x the
requests per second. Waiting longer than a batch takes cannot pay, though: a model whose forward
is a millisecond (a tabular MLP) answers a lone request at once instead of after the wait.

The queue is bounded by rows, not requests, so memory stays flat whatever the request sizes: a
request that would pass the bound is refused at once (`QueueFull`, with a suggested wait), and
every request has a timeout, after which it is answered `RequestTimedOut` and, if its batch has
not started, dropped from it.
"""
import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class QueueFull(Exception):
    def __init__(self, retry_after_seconds: int):
        super().__init__(f"the model's queue is full; retry in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class RequestTimedOut(Exception):
    pass


@dataclass
class _Waiting(Generic[Item]):
    item: Item
    rows: int
    future: asyncio.Future
    arrived: float = field(default_factory=time.monotonic)


class DynamicBatcher(Generic[Item, Answer]):
    def __init__(
        self,
        compute: Callable[[list[Item]], list[Answer]],
        *,
        executor: Executor,
        max_batch_rows: int,
        max_wait_seconds: float,
        max_queue_rows: int,
        on_batch: Callable[[int, float], None] = lambda rows, seconds: None,
        on_queue: Callable[[int], None] = lambda rows: None,
    ):
        """`compute(items)` returns one answer per item, in order; it runs on `executor`.
        `on_batch(rows, seconds)` and `on_queue(queued rows)` report to metrics."""
        self.compute = compute
        self.executor = executor
        self.max_batch_rows = max_batch_rows
        self.max_wait_seconds = max_wait_seconds
        self.max_queue_rows = max_queue_rows
        self.on_batch = on_batch
        self.on_queue = on_queue
        self._waiting: deque[_Waiting] = deque()
        self._queued_rows = 0
        self._arrival: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._last_batch_seconds: float | None = None  # none computed yet

    @property
    def queued_rows(self) -> int:
        return self._queued_rows

    async def submit(self, item: Item, *, rows: int, timeout: float) -> Answer:
        if self._queued_rows + rows > self.max_queue_rows:
            raise QueueFull(self._retry_after())
        self._start()
        waiting = _Waiting(item, rows, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._queued_rows += rows
        self.on_queue(self._queued_rows)
        self._arrival.set()
        try:
            return await asyncio.wait_for(asyncio.shield(waiting.future), timeout)
        except TimeoutError:
            if waiting in self._waiting:  # not taken into a batch yet: its rows leave the queue
                self._waiting.remove(waiting)
                self._queued_rows -= rows
                self.on_queue(self._queued_rows)
            raise RequestTimedOut(f"no answer within {timeout:g} s") from None

    def _retry_after(self) -> int:
        batches_ahead = math.ceil(self._queued_rows / self.max_batch_rows)
        return max(1, math.ceil(batches_ahead * (self._last_batch_seconds or 0)))

    def _closes_at(self) -> float:
        """When the gathering batch goes, full or not (see the module's docstring)."""
        wait = self.max_wait_seconds if self._last_batch_seconds is None else min(self.max_wait_seconds, self._last_batch_seconds)
        return self._waiting[0].arrived + wait

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._arrival = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch: list[_Waiting] = []
            try:
                batch = await self._next_batch()
                if batch:
                    await self._answer(loop, batch)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # never the batcher's end: its requests would hang until their timeout
                for waiting in batch:
                    if not waiting.future.done():
                        waiting.future.set_exception(error)

    async def _next_batch(self) -> list[_Waiting]:
        """The next batch once it is full or its oldest request has waited long enough; empty
        when there is nothing to take yet."""
        if not self._waiting:
            self._arrival.clear()
            await self._arrival.wait()
            return []
        wait = self._closes_at() - time.monotonic()
        if self._queued_rows < self.max_batch_rows and wait > 0:
            self._arrival.clear()
            try:
                await asyncio.wait_for(self._arrival.wait(), wait)
            except TimeoutError:
                pass
            # A request that timed out meanwhile has left the queue: there may be none now.
            if not self._waiting or (
                self._queued_rows < self.max_batch_rows and self._closes_at() > time.monotonic()
            ):
                return []
        return self._take()

    async def _answer(self, loop, batch: list[_Waiting]) -> None:
        """Computes the batch and answers each request; if the batch fails, each request is
        computed alone, so one bad request fails only itself, not the requests batched with it."""
        started = time.perf_counter()
        try:
            answers = await loop.run_in_executor(self.executor, self.compute, [waiting.item for waiting in batch])
            if len(answers) != len(batch):
                raise RuntimeError(f"compute gave {len(answers)} answers for {len(batch)} items")
        except Exception as error:
            failed = error
        else:
            failed = None
        finally:
            self._last_batch_seconds = time.perf_counter() - started
            self.on_batch(sum(waiting.rows for waiting in batch), self._last_batch_seconds)
        if failed is None:
            for waiting, answer in zip(batch, answers, strict=True):
                if not waiting.future.done():
                    waiting.future.set_result(answer)
        elif len(batch) == 1:
            if not batch[0].future.done():
                batch[0].future.set_exception(failed)
        else:
            for waiting in batch:
                await self._answer(loop, [waiting])

    def _take(self) -> list[_Waiting]:
        """The oldest requests that fit in one batch (always at least one, however large)."""
        batch, rows = [], 0
        while self._waiting and (not batch or rows + self._waiting[0].rows <= self.max_batch_rows):
            waiting = self._waiting.popleft()
            batch.append(waiting)
            rows += waiting.rows
        self._queued_rows -= rows
        self.on_queue(self._queued_rows)
        return batch

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
