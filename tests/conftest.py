"""Suite-wide settings: Hypothesis profiles (a quick default, a thorough ``ci``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """With ``LIFECYCLE_FORBID_SKIPS=1`` (CI), a skipped test fails.

    Tests that need a service (PostgreSQL, Chromium, Mermaid from npm) skip with a reason
    on a machine without it; CI installs and starts them all, so a skip there means a
    missing install step, which must not pass unnoticed.
    """
    report = yield
    if report.skipped and os.environ.get("LIFECYCLE_FORBID_SKIPS") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped, but LIFECYCLE_FORBID_SKIPS=1: {report.longrepr}"
    return report


DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_dsn() -> str:
    """A PostgreSQL server that answers, or skip (fail when ``LIFECYCLE_REQUIRE_POSTGRES=1``)."""
    dsn = os.environ.get("LIFECYCLE_TEST_POSTGRES_DSN", DEFAULT_DSN)
    try:
        import psycopg

        with psycopg.connect(dsn, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except Exception as error:
        problem = f"no PostgreSQL at LIFECYCLE_TEST_POSTGRES_DSN ({type(error).__name__})"
        if os.environ.get("LIFECYCLE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{problem}, and LIFECYCLE_REQUIRE_POSTGRES=1")
        pytest.skip(problem)
    return dsn


@pytest.fixture
def schema(postgres_dsn: str) -> Iterator[str]:
    """A PostgreSQL schema of this test's own, dropped afterwards."""
    import psycopg

    name = f"lifecycle_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(postgres_dsn, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'.encode())
