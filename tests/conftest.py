"""Suite-wide settings: Hypothesis profiles (a quick default, a thorough ``ci``)."""

from __future__ import annotations

import os
from collections.abc import Generator

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
