"""Running an iterator one item ahead on a background thread.

The job reads, checks and tokenises the next chunk while the model computes on the current one:
fast tokenizers and torch both release the GIL, so the two overlap. The queue holds one item,
so at most three chunks exist at once (computing, waiting, being prepared) and memory stays
bounded however far the reader could run ahead.
"""
import queue
import threading
from collections.abc import Iterable, Iterator

LOOKAHEAD = 1
_POLL_SECONDS = 0.1
_DONE = object()


class Prefetcher:
    """Iterate over it like the source; an exception in the source is raised here. Use it as a
    context manager so that the thread ends when the consumer stops early."""

    def __init__(self, source: Iterable, lookahead: int = LOOKAHEAD):
        self._source = source
        self._queue: queue.Queue = queue.Queue(maxsize=lookahead)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="inference-prefetch", daemon=True)

    def __enter__(self) -> "Prefetcher":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopping.set()
        self._thread.join()

    def _produce(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    return
            self._put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            self._put(error)
        finally:
            # A generator source closes here, on its own thread: its open files with it.
            close = getattr(self._source, "close", None)
            if close is not None:
                close()

    def _put(self, item) -> bool:
        while not self._stopping.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
