"""Admin logins are throttled per username and per client address (django-axes), against a
live server: password guessing on one account from many addresses, or on many accounts from
one address, is refused with a page that says until when.

The server is taken to sit behind one proxy (INDUS_NUM_PROXIES=1), so each request's
X-Forwarded-For stands for a different client address."""
import re
from datetime import timedelta

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from indus.tenancy.services import project_create
from tests.security.live_admin import admin_sign_in

PASSWORD = "correct horse battery"
LIMIT = 5  # INDUS_LOGIN_FAILURE_LIMIT's default


@pytest.fixture
def server(live_server, settings, project):
    settings.INDUS_NUM_PROXIES = 1
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    return live_server


@pytest.fixture
def bob(db):
    bob = get_user_model().objects.create_user(username="bob", password=PASSWORD)
    project_create(slug="fraud", name="Fraud", owner=bob)
    return bob


def log_in(server, username: str, password: str, address: str) -> requests.Response:
    return admin_sign_in(server.url, username, password, **{"X-Forwarded-For": address})[1]


def refused_until(response: requests.Response) -> tuple[timedelta, int]:
    """(how long from now the page's "refused until HH:MM UTC" is, the minutes it says)."""
    assert response.status_code == 429 and not response.signed_in
    text = re.sub(r"\s+", " ", response.text)
    match = re.search(r"Too many failed logins .* logins are refused until (\d\d):(\d\d) UTC \((\d+) minutes from now\)",
                      text)
    assert match, text[:2000]
    now = timezone.now()
    retry_at = now.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
    return (retry_at - now) % timedelta(days=1), int(match[3])


def assert_refused_until_later(response: requests.Response, minutes: int = 15) -> None:
    wait, said = refused_until(response)
    assert said == minutes and abs(wait - timedelta(minutes=minutes)) <= timedelta(minutes=1)


def shift_failures_back(delta: timedelta) -> None:
    """As if `delta` had passed since every recorded failure."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


def test_guessing_one_accounts_password_from_many_addresses_locks_the_account(server, user, bob):
    for attempt in range(LIMIT):
        assert not log_in(server, "alice", f"guess {attempt}", f"203.0.113.{attempt + 1}").signed_in
    # The right password, from an address that never failed: the account is locked.
    assert_refused_until_later(log_in(server, "alice", PASSWORD, "198.51.100.9"))
    # That address is not: another account signs in from it.
    assert log_in(server, "bob", PASSWORD, "198.51.100.9").signed_in


def test_guessing_many_accounts_from_one_address_locks_the_address(server, user, bob):
    for attempt in range(LIMIT):
        assert not log_in(server, f"user{attempt}", "guess", "203.0.113.50").signed_in
    assert_refused_until_later(log_in(server, "alice", PASSWORD, "203.0.113.50"))
    # The accounts are not locked: alice signs in from elsewhere.
    assert log_in(server, "alice", PASSWORD, "198.51.100.10").signed_in


def test_fewer_failures_than_the_limit_lock_nothing(server, user):
    for attempt in range(LIMIT - 1):
        response = log_in(server, "alice", f"typo {attempt}", "203.0.113.60")
        assert response.status_code == 200 and not response.signed_in
    assert log_in(server, "alice", PASSWORD, "203.0.113.60").signed_in


def test_the_lock_ends_when_the_page_says(server, user):
    for attempt in range(LIMIT):
        log_in(server, "alice", f"guess {attempt}", "203.0.113.70")
    assert_refused_until_later(log_in(server, "alice", PASSWORD, "203.0.113.70"))
    # Fifteen minutes (and a second) after the last attempt:
    shift_failures_back(timedelta(minutes=15, seconds=1))
    assert log_in(server, "alice", PASSWORD, "203.0.113.70").signed_in


def test_attempts_while_locked_do_not_make_the_lock_last_longer(server, user, bob):
    """The denial of service this guards against: one guess every few minutes from anywhere
    would otherwise keep alice locked out for good."""
    for attempt in range(LIMIT):
        log_in(server, "alice", f"guess {attempt}", "203.0.113.80")
    shift_failures_back(timedelta(minutes=10))
    # Ten minutes on, the same client guesses again: refused, and the page names the lock's
    # own end, five minutes away, not fifteen minutes from this attempt.
    assert_refused_until_later(log_in(server, "alice", "one more guess", "203.0.113.80"), minutes=5)
    wait, _ = refused_until(log_in(server, "alice", PASSWORD, "198.51.100.21"))
    # The page rounds the end up to its minute: a minute before the time it names, still locked;
    # just after it, the lock has ended.
    shift_failures_back(wait - timedelta(seconds=61))
    assert refused_until(log_in(server, "alice", PASSWORD, "198.51.100.22"))[1] == 1
    shift_failures_back(timedelta(seconds=62))
    assert log_in(server, "alice", PASSWORD, "198.51.100.22").signed_in
