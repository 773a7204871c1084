"""Traffic: an alias moved under load, a canary's split, a full queue; a real serving process."""
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from indus.registry.services import model_alias_set
from tests.serving.conftest import Client, ServingProcess, register
from tests.support.workers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = [{"review": "the item arrived today and it was lovely"}]


def test_moving_an_alias_under_load_switches_within_seconds_and_fails_nothing(client, project, review_model_dirs):
    first, second = register(project, "reviews", review_model_dirs)
    assert client.predict("reviews", ROWS)[0] == 200  # version 1 loaded and answering
    answers: list[tuple[float, float, int, int | None]] = []  # (sent, answered, status, version)
    stop = time.monotonic() + 60

    def load():
        while time.monotonic() < stop:
            sent = time.monotonic()
            status, body, _ = client.predict("reviews", ROWS)
            answers.append((sent, time.monotonic(), status, body.get("version") if status == 200 else None))
            if status != 200:
                return

    def switched_at() -> float | None:
        return min((answered for _, answered, _, version in answers if version == 2), default=None)

    # A light load (3 clients): on a small CI machine, more would time the machine, not the switch.
    with ThreadPoolExecutor(3) as pool:
        for _ in range(3):
            pool.submit(load)
        wait_for(lambda: len(answers) > 20, timeout=30, message="the load to start")
        model_alias_set(version=second, name="production")
        moved = time.monotonic()  # the move is committed: the server may see it from now on
        wait_for(lambda: switched_at() is not None, timeout=30, message="version 2 to answer")
        switched = switched_at()
        wait_for(lambda: sum(sent > switched for sent, _, _, _ in answers) >= 20, timeout=30,
                 message="requests sent after the switch to be answered")
        stop = time.monotonic()
    assert [status for _, _, status, _ in answers if status != 200] == []
    assert switched - moved < 5
    # Only requests already in flight when version 2 first answered may get version 1.
    assert {version for sent, _, _, version in answers if sent > switched} == {2}
    assert {version for sent, answered, _, version in answers if answered < moved} == {1}


def test_a_canary_answers_its_share_and_each_response_says_which_version(client, project, review_model_dirs):
    first, second = register(project, "reviews", review_model_dirs)
    model_alias_set(version=first, name="production", canary_version=second, canary_percent=10)
    client.predict("reviews", ROWS)  # both versions loaded before counting
    client.predict("reviews", ROWS)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.predict("reviews", ROWS), range(2000)))
    assert {status for status, _, _ in answers} == {200}
    versions = Counter(body["version"] for _, body, _ in answers)
    assert all(headers["x-indus-model-version"] == str(body["version"]) for _, body, headers in answers)
    assert abs(versions[2] / 2000 - 0.10) <= 0.03, versions
    assert versions[1] + versions[2] == 2000


@pytest.fixture(scope="module")
def small_queue_server(django_db_setup, tmp_path_factory):
    """One forward per request, room for 8 waiting rows."""
    process = ServingProcess(tmp_path_factory.mktemp("serving-logs") / "serve.log", "--max-batch-rows", "1", "--max-queue-rows", "8")
    yield process
    process.stop()


def test_a_full_queue_answers_503_with_retry_after_and_recovers(small_queue_server, token, project, review_model_dirs):
    register(project, "reviews", review_model_dirs[:1])
    client = Client(small_queue_server.port, token)
    rows = [{"review": " ".join(["the item arrived today and it was really quite lovely"] * 3)}] * 8
    assert client.predict("reviews", rows)[0] == 200
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(lambda _: client.predict("reviews", rows), range(64)))
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) == {200, 503} and statuses[503] > 0, statuses
    full = next((body, headers) for status, body, headers in answers if status == 503)
    assert full[0]["error"]["code"] == "overloaded" and int(full[1]["retry-after"]) >= 1
    assert full[0]["error"]["details"]["retry_after_seconds"] == int(full[1]["retry-after"])
    # By itself, once the burst is over:
    status, body, _ = client.predict("reviews", rows)
    assert status == 200 and len(body["predictions"]) == 8
