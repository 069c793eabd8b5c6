"""The pytest plugin's fixtures, in a pytest session of their own (``pytester``): the
plugin is loaded from the entry point, as it is in any project that installs the package."""

from __future__ import annotations

import os

import pytest

DSN = os.environ.get("LIFECYCLE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")

FIXTURES = """
from datetime import UTC, datetime, timedelta

import httpx
import lifecycle as core
from adapters.sandbox import Fault


def test_the_clock_stands_still_until_stepped(lifecycle_clock):
    start = lifecycle_clock.now()
    assert lifecycle_clock() == start == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert lifecycle_clock.advance(timedelta(minutes=6)) == start + timedelta(minutes=6)
    assert lifecycle_clock.set(start) == lifecycle_clock.now() == start


def test_the_sandbox_runs_on_loopback_and_follows_the_clock(lifecycle_sandbox, lifecycle_clock):
    assert lifecycle_sandbox.base_url.startswith("http://127.0.0.1:")
    lifecycle_clock.advance(timedelta(days=2))
    assert lifecycle_sandbox.clock.now() == lifecycle_clock.now()
    params = lifecycle_sandbox.consent(lifecycle_sandbox.auth_link(state="xyz"))
    assert params["state"] == "xyz" and params["code"]
    lifecycle_sandbox.inject("/connect/token", Fault(status=503))
    answer = httpx.post(f"{lifecycle_sandbox.base_url}/connect/token", data={})
    assert answer.status_code == 503


def test_the_sqlite_store_seals_secrets_and_uses_the_clock(
    lifecycle_sqlite_store, lifecycle_clock, tmp_path
):
    started = core.ConnectionStarted(lifecycle_clock.now(), region="uk", scopes=("info",))
    record = core.start(started)
    link = core.LinkIssued(lifecycle_clock.now(), state=core.Secret("STATE-XYZ"))
    stored = lifecycle_sqlite_store.create("c1", record, started)
    lifecycle_clock.advance(timedelta(hours=1))
    stored = lifecycle_sqlite_store.commit("c1", 1, link, core.apply(record, link))
    assert lifecycle_sqlite_store.get("c1").record.link.state.reveal() == "STATE-XYZ"
    assert lifecycle_sqlite_store.history("c1")[-1].recorded_at == lifecycle_clock.now()
    on_disk = b"".join(path.read_bytes() for path in tmp_path.glob("lifecycle.db*"))
    assert b"STATE-XYZ" not in on_disk


def test_the_postgres_store(lifecycle_postgres_store):
    at = datetime(2026, 1, 5, tzinfo=UTC)
    started = core.ConnectionStarted(at, region="uk", scopes=("info",))
    lifecycle_postgres_store.create("c1", core.start(started), started)
    assert lifecycle_postgres_store.get("c1").version == 1
"""


def test_the_fixtures_work_and_postgres_is_skipped_without_a_dsn(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFECYCLE_TEST_POSTGRES_DSN", raising=False)
    monkeypatch.delenv("LIFECYCLE_FORBID_SKIPS", raising=False)
    pytester.makepyfile(test_fixtures=FIXTURES)
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines(["*no PostgreSQL DSN given: pass --lifecycle-postgres-dsn*"])


def test_the_postgres_store_works_when_a_dsn_is_given(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fixtures=FIXTURES)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--lifecycle-postgres-dsn={DSN}", "-k", "postgres"
    )
    result.assert_outcomes(passed=1)


def test_a_dsn_that_does_not_answer_fails_without_showing_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fixtures=FIXTURES)
    dsn = "postgresql://someone:hunter2@127.0.0.1:1/nowhere?connect_timeout=2"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--lifecycle-postgres-dsn={dsn}", "-k", "postgres"
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the PostgreSQL DSN given does not answer*"])
    assert "hunter2" not in result.stdout.str()
