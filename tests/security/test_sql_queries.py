"""The query check costs the web server time linear in the query's length, attacked through the
live API.

The attack this reproduces: a query of 100,000 characters, `/*` over and over (with no `*/`
between them), took 23.6 s of the web server's CPU, because a regular expression retried at
every opening scanned to the end for a `*/` that never came: quadratic (2.2 s for 20,000
characters of `/* `). The check is one pass now: 28 ms for 100,000 characters, and each
pathological run answers its 400 in well under a second, request included.
"""
import sqlite3
import time

import pytest

from tests.security.sql_members import member, refusal, stored_state

pytestmark = pytest.mark.django_db(transaction=True)

LENGTH = 100_000  # the longest query the API takes
WEB_SECONDS_BOUND = 2.0  # for the whole request; the check itself takes milliseconds


@pytest.fixture
def source_url(tmp_path, settings) -> str:
    sqlite3.connect(tmp_path / "sales.sqlite3").close()
    settings.INDUS_SQL_IMPORT_SQLITE_DIRS = [str(tmp_path)]
    return f"sqlite:///{tmp_path / 'sales.sqlite3'}"


@pytest.fixture
def editor(live_server, dataset):
    return member(live_server.url, dataset, "ed")


UNTERMINATED = "unterminated string, quoted name or comment"


@pytest.mark.parametrize("query,message", [
    # The attack: openings no `*/` ever closes, each of which the old expression scanned to the end.
    ("/* " * (LENGTH // 3), UNTERMINATED),
    ("/*x" * (LENGTH // 3), UNTERMINATED),
    ("/*" * (LENGTH // 2), UNTERMINATED),  # `/*/*/` closes itself; the last opening does not
    ("'" * (LENGTH - 1), UNTERMINATED),  # an odd number of quotes: doubled ones, never closed
    ('"' * (LENGTH - 1), UNTERMINATED),
    ("$a$" + "$b" * (LENGTH // 2 - 2), UNTERMINATED),  # a dollar quote whose tag never comes back
    ("--" * (LENGTH // 2), "the query is empty"),
    ("/**/" * (LENGTH // 4), "the query is empty"),
], ids=["comments", "comments-and-text", "comment-run", "quotes", "double-quotes", "dollar-quotes", "line-comments", "closed-comments"])
def test_a_long_run_of_openings_is_answered_in_linear_time(editor, source_url, query, message):
    assert len(query) <= LENGTH
    before = stored_state()
    started = time.perf_counter()
    response = editor.from_sql(source_url, query)
    elapsed = time.perf_counter() - started
    status, field, _, text = refusal(response)
    assert (status, field) == (400, "query")
    assert message in text
    assert elapsed < WEB_SECONDS_BOUND, f"{elapsed:.2f} s for a {len(query):,}-character query"
    assert stored_state() == before


def test_a_long_query_of_closed_comments_and_strings_is_accepted_in_linear_time(editor, source_url):
    query = "SELECT " + "/* c */ 'it''s' AS x, " * 4_400 + "1 AS y"
    assert 90_000 < len(query) <= LENGTH
    started = time.perf_counter()
    response = editor.from_sql(source_url, query)
    assert response.status_code == 201, response.text
    assert time.perf_counter() - started < WEB_SECONDS_BOUND


@pytest.mark.parametrize("query", [
    # `a$q$b` is a name, not the opening of a dollar quote that would hide the rest.
    "SELECT a$q$b FROM t; DELETE FROM t --$q$",
    # E'\'' is a string holding one quote: the quote after it does not open another.
    "SELECT E'\\'' AS x; DELETE FROM t --'",
    "SELECT e'\\\\' AS x; DELETE FROM t --'",
])
def test_a_second_statement_is_not_hidden_by_a_misread_quote(editor, source_url, query):
    before = stored_state()
    status, field, code, text = refusal(editor.from_sql(source_url, query))
    assert (status, field, code) == (400, "query", "multiple_statements"), text
    assert stored_state() == before


@pytest.mark.parametrize("query", ["SELECT $$a;b$$ AS x", "SELECT $t$;$t$ AS x", "SELECT E'it\\'s; ok' AS x",
                                   "SELECT 1 AS a$b"])
def test_quotes_that_are_quotes_still_mask_what_they_hold(editor, source_url, query):
    assert editor.from_sql(source_url, query).status_code == 201
