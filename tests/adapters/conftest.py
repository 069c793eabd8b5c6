"""Fixtures for adapter tests: a real TrueLayer-compatible sandbox on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from adapters.sandbox import Sandbox, SandboxConfig


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """One HTTP client for the session (a new ``httpx.Client`` per call costs ~50 ms)."""
    with httpx.Client(timeout=5.0) as client:
        yield client


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A started sandbox with the default config (client ``sandbox-client`` /
    ``sandbox-secret``, reusable refresh tokens, frozen clock at 2026-01-01T00:00Z)."""
    with Sandbox(SandboxConfig()) as running:
        yield running


@pytest.fixture
def start_sandbox() -> Iterator[Callable[[SandboxConfig], Sandbox]]:
    """Start sandboxes with a chosen config; all are stopped after the test."""
    started: list[Sandbox] = []

    def start(config: SandboxConfig) -> Sandbox:
        running = Sandbox(config).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
