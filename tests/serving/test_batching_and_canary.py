"""The serving runtime's parts on their own: the batcher, the canary split, the memory budget."""
import asyncio
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from indus.serving.directory import Refused
from indus.serving.server import Recent
from indus_workers.inference.cache import ModelCache, model_bytes
from indus_workers.serving.batching import DynamicBatcher, QueueFull, RequestTimedOut
from indus_workers.serving.canary import CanarySplit


def run(coroutine):
    """The coroutine on an event loop of its own thread: Playwright's sync API, which the browser
    tests use, leaves a loop running in the main thread, and asyncio.run refuses to nest."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def batcher(compute, **options):
    settings = {"max_batch_rows": 8, "max_wait_seconds": 0.02, "max_queue_rows": 64, **options}
    return DynamicBatcher(compute, executor=ThreadPoolExecutor(1), **settings)


def test_concurrent_requests_are_computed_together_and_answered_one_by_one():
    batches = []

    def compute(items):
        batches.append(list(items))
        return [item * 10 for item in items]

    async def main():
        gathering = batcher(compute)
        return await asyncio.gather(*(gathering.submit(item, rows=1, timeout=5) for item in range(20)))

    assert run(main()) == [item * 10 for item in range(20)]
    assert [len(batch) for batch in batches] == [8, 8, 4]  # full batches go at once, the rest after the wait
    assert sorted(item for batch in batches for item in batch) == list(range(20))


def test_a_bad_request_fails_alone_and_the_batcher_goes_on():
    def compute(items):
        if "bad" in items:
            raise ValueError("cannot featurize 'bad'")
        return [item.upper() for item in items]

    async def main():
        gathering = batcher(compute)
        answers = await asyncio.gather(*(gathering.submit(item, rows=1, timeout=5) for item in ["a", "bad", "c"]),
                                       return_exceptions=True)
        wrong_count = batcher(lambda items: items[:1])  # a compute that breaks its contract
        short = await asyncio.gather(*(wrong_count.submit(item, rows=1, timeout=5) for item in ["x", "y"]),
                                     return_exceptions=True)
        return answers, short, await gathering.submit("d", rows=1, timeout=5)

    answers, short, after = run(main())
    assert answers[0] == "A" and answers[2] == "C"
    assert isinstance(answers[1], ValueError) and "'bad'" in str(answers[1])
    assert short == ["x", "y"]  # computed alone, each gets its own answer; nothing hangs
    assert after == "D"


def test_a_lone_request_waits_at_most_the_max_wait():
    async def main():
        started = time.perf_counter()
        answer = await batcher(lambda items: items, max_wait_seconds=0.05).submit("x", rows=1, timeout=5)
        return answer, time.perf_counter() - started

    answer, seconds = run(main())
    assert answer == "x" and 0.04 <= seconds < 1


def test_a_lone_request_waits_no_longer_than_the_last_batch_took_to_compute():
    """Waiting longer than a forward takes cannot pay: a fast model answers a lone request at once."""
    async def main():
        gathering = batcher(lambda items: items, max_wait_seconds=0.3)
        timings = []
        for item in ("first", "second"):
            started = time.perf_counter()
            assert await gathering.submit(item, rows=1, timeout=5) == item
            timings.append(time.perf_counter() - started)
        return timings

    first, second = run(main())
    assert first >= 0.28  # no batch computed yet: the whole wait
    assert second < 0.1  # the first batch took microseconds


def test_a_full_queue_refuses_with_a_wait_and_takes_requests_again_once_drained():
    release = threading.Event()

    def compute(items):
        release.wait(5)
        return items

    async def main():
        gathering = batcher(compute, max_batch_rows=2, max_queue_rows=4, max_wait_seconds=0)
        first = asyncio.ensure_future(gathering.submit("a", rows=2, timeout=5))  # taken, computing
        await asyncio.sleep(0.05)
        waiting = [asyncio.ensure_future(gathering.submit(name, rows=2, timeout=5)) for name in "bc"]  # the queue is full
        await asyncio.sleep(0.01)
        with pytest.raises(QueueFull) as full:
            await gathering.submit("d", rows=1, timeout=5)
        release.set()
        answers = [await first, *[await task for task in waiting]]
        return full.value.retry_after_seconds, answers, await gathering.submit("e", rows=1, timeout=5)

    retry_after, answers, later = run(main())
    assert retry_after >= 1 and answers == ["a", "b", "c"] and later == "e"


def test_a_request_past_its_timeout_is_answered_and_leaves_the_queue():
    release = threading.Event()

    async def main():
        gathering = batcher(lambda items: release.wait(5) and items, max_batch_rows=1, max_wait_seconds=0)
        busy = asyncio.ensure_future(gathering.submit("a", rows=1, timeout=5))
        await asyncio.sleep(0.05)
        with pytest.raises(RequestTimedOut):
            await gathering.submit("b", rows=1, timeout=0.05)
        queued = gathering.queued_rows
        release.set()
        return queued, await busy

    assert run(main()) == (0, "a")


def test_a_failed_batch_fails_its_requests_and_the_batcher_goes_on():
    calls = []

    def compute(items):
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return items

    async def main():
        gathering = batcher(compute, max_batch_rows=1, max_wait_seconds=0)
        with pytest.raises(RuntimeError):
            await gathering.submit("a", rows=1, timeout=5)
        return await gathering.submit("b", rows=1, timeout=5)

    assert run(main()) == "b"


def test_callers_finding_an_entry_out_of_date_together_wait_for_one_read():
    reads = []

    async def read_token():
        reads.append(time.monotonic())
        await asyncio.sleep(0.05)
        if len(reads) == 3:
            raise Refused(401, "not_authenticated", "the token was revoked")
        return f"user {len(reads)}"

    async def main():
        recent = Recent(seconds=0.2)
        first = await asyncio.gather(*(recent.get("token", read_token) for _ in range(32)))
        cached = await recent.get("token", read_token)
        await asyncio.sleep(0.25)  # out of date: the next callers read again, once
        second = await asyncio.gather(*(recent.get("token", read_token) for _ in range(32)))
        await asyncio.sleep(0.25)
        refused = await asyncio.gather(*(recent.get("token", read_token) for _ in range(8)), return_exceptions=True)
        return first, cached, second, refused

    first, cached, second, refused = run(main())
    assert first == ["user 1"] * 32 and cached == "user 1" and second == ["user 2"] * 32
    assert len(refused) == 8 and all(isinstance(error, Refused) and error.status == 401 for error in refused)
    assert len(reads) == 3


@pytest.mark.parametrize("percent", [10, 25, 50, 1])
def test_a_canary_gets_its_share_of_every_stretch_of_requests(percent):
    split = CanarySplit()
    chosen = [split.choose(("p", "m", "production"), main="main", canary="canary", canary_percent=percent) for _ in range(2000)]
    assert abs(Counter(chosen)["canary"] / 2000 - percent / 100) <= 0.03
    # Spread out, not in one block: every stretch of 200 requests holds its share, give or take one.
    for start in range(0, 2000, 200):
        assert abs(Counter(chosen[start:start + 200])["canary"] - 2 * percent) <= 1
    assert split.choose(("x",), main="main", canary=None, canary_percent=50) == "main"
    assert split.choose(("x",), main="main", canary="canary", canary_percent=100) == "canary"


def test_the_cache_keeps_to_its_memory_budget_least_recently_used_first(review_model_dirs, tabular_model_dir):
    text_bytes = model_bytes(ModelCache(max_models=1).get(review_model_dirs[0]))
    cache = ModelCache(max_models=10, max_bytes=2 * text_bytes + 1)
    cache.get(review_model_dirs[0])
    cache.get(review_model_dirs[1])
    cache.get(review_model_dirs[0])  # the first is now the most recently used
    assert cache.holds(review_model_dirs[0]) and cache.holds(review_model_dirs[1])
    cache.get(tabular_model_dir)  # past the budget: the least recently used goes
    assert cache.holds(review_model_dirs[0]) and cache.holds(tabular_model_dir)
    assert not cache.holds(review_model_dirs[1])
    assert cache.bytes_held <= cache.max_bytes


def test_an_evicted_model_is_freed_not_kept_alive_by_the_server(review_model_dirs, monkeypatch):
    import gc
    import weakref

    import torch

    from indus.serving import directory
    from indus.serving.directory import VersionRef
    from indus.serving.server import Serving, ServingConfig

    monkeypatch.setattr(directory, "local_model_folder", lambda artifact_path: artifact_path)
    threads = torch.get_num_threads()
    text_bytes = model_bytes(ModelCache(max_models=1).get(review_model_dirs[0]))
    serving = Serving(ServingConfig(memory_bytes=text_bytes + 1))  # room for one model
    try:
        first, second = (VersionRef(id=index, number=index, artifact_path=folder) for index, folder in enumerate(review_model_dirs, 1))
        run(serving.ready(("first", "main"), first))
        loaded = serving.cache.get(review_model_dirs[0])
        loaded.in_a_cycle = [loaded]  # only the cyclic collector frees it, and the server froze it out of its reach
        first_model = weakref.ref(loaded)
        del loaded
        _, served = run(serving.ready(("second", "main"), second))  # past the budget: the first is evicted
        assert not serving.cache.holds(review_model_dirs[0]) and serving.cache.holds(review_model_dirs[1])
        gc.collect()
        assert first_model() is None, "the evicted model is still referenced"
        assert served.model is serving.cache.get(review_model_dirs[1])
        version, served_again = run(serving.ready(("first again", "main"), first))  # asked again: loaded again
        assert version == first and served_again.model is serving.cache.get(review_model_dirs[0])
    finally:
        torch.set_num_threads(threads)


@pytest.mark.django_db
def test_a_version_number_has_one_spelling_and_other_digits_are_not_numbers(user, project, tabular_model_dir):
    from indus.serving.directory import Refused, normalised_selector, served_target
    from tests.serving.conftest import register

    first, second = register(project, "limits", [tabular_model_dir, tabular_model_dir])
    assert normalised_selector("01") == normalised_selector("1") == "1"
    for spelled in ("2", "02", "002"):
        target = served_target(user=user, project_slug=project.slug, model_name="limits", selector=spelled)
        assert (target.main.id, target.selector) == (second.pk, "2")
    for selector, field in (("²", "alias"), ("٣", "alias"), ("99999999999999999999", "version")):
        with pytest.raises(Refused) as refused:
            served_target(user=user, project_slug=project.slug, model_name="limits", selector=selector)
        assert (refused.value.status, refused.value.field) == (404, field)


def test_the_request_log_keeps_at_most_its_buffer_and_counts_the_rest():
    import pyarrow as pa

    from indus.serving import metrics
    from indus.serving.directory import ServedTarget, VersionRef
    from indus.serving.request_log import RequestLog

    version = VersionRef(id=1, number=3, artifact_path="unused")
    target = ServedTarget("shop", "buffered", "test.task", "production", version, log_sample_rate=1.0, log_max_rows_per_hour=100)
    dropped = metrics.LOG_DROPPED_ROWS.labels(model="shop.buffered", reason="buffer_full")
    before = dropped._value.get()
    log = RequestLog(max_buffered_rows=3)
    inputs = pa.table({"age": [1.0, 2.0]})
    for _ in range(3):
        log.offer(target, version, inputs, [{"row": 0, "value": 10.0}, {"row": 1, "value": 20.0}])
    assert log.buffered_rows == 3 and dropped._value.get() - before == 3
    [batch] = log.take()
    assert [(row["age"], row["value"], row["model_version"]) for row in batch.rows] == [(1.0, 10.0, 3), (2.0, 20.0, 3), (1.0, 10.0, 3)]
    assert log.buffered_rows == 0 and log.take() == []
    # An alias without logging offers nothing, whatever the buffer's room.
    log.offer(ServedTarget("shop", "quiet", "test.task", "production", version), version, inputs, [{}, {}])
    assert log.take() == []


def test_replicas_each_log_their_share_of_an_aliass_rows_per_hour():
    import pyarrow as pa

    from indus.serving.directory import ServedTarget, VersionRef
    from indus.serving.request_log import RequestLog

    version = VersionRef(id=1, number=1, artifact_path="unused")
    target = ServedTarget("shop", "shared", "test.task", "production", version, log_sample_rate=1.0, log_max_rows_per_hour=10)
    hour = [7200.0]
    replicas = [RequestLog(max_buffered_rows=1000, replicas=3, clock=lambda: hour[0]) for _ in range(3)]
    inputs = pa.table({"age": [float(value) for value in range(5)]})
    for log in replicas:
        for _ in range(2):
            log.offer(target, version, inputs, [{"value": 0.0}] * 5)
    assert [log.buffered_rows for log in replicas] == [4, 4, 4]  # ceil(10 / 3) each: 12 at most together
    hour[0] += 3600  # a new hour: room again
    replicas[0].offer(target, version, inputs, [{"value": 0.0}] * 5)
    assert replicas[0].buffered_rows == 8
