"""Transient failures are retried through stamina; nothing else is (R11, R3, R6)."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime

import httpx
import pytest
import stamina
from test_client_support import FAST, KINDS, Kind, authorise, connect, open_client

import lifecycle
from adapters.sandbox import Fault, Sandbox
from adapters.truelayer import (
    Endpoints,
    InvalidGrant,
    ProviderError,
    ProviderTooManyRequests,
    RetryPolicy,
    TransportError,
    TrueLayerClient,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("kind", KINDS)
def test_a_503_twice_then_success_makes_exactly_three_calls(kind: Kind, sandbox: Sandbox) -> None:
    with open_client(kind, sandbox) as client:
        grant = connect(client)
        assert grant.refresh_token is not None
        sandbox.inject("/connect/token", Fault(status=503, count=2))

        refreshed = client.refresh(grant.refresh_token)

        assert sandbox.calls("/connect/token") == 1 + 3  # the exchange, then three tries
        assert sandbox.calls_by_token(grant.refresh_token.reveal()) == 3
        assert len(client.accounts(refreshed.access_token)) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_an_exchange_answered_503_is_repeated_because_the_code_was_not_used(
    kind: Kind, sandbox: Sandbox
) -> None:
    with open_client(kind, sandbox) as client:
        link, callback = authorise(client)
        sandbox.inject("/connect/token", Fault(status=503, count=2))

        grant = client.exchange_code(callback.code, code_verifier=link.code_verifier)

    assert grant.expires_in == 3600
    assert sandbox.calls_by_token(callback.code.reveal()) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_invalid_grant_is_never_retried(kind: Kind, sandbox: Sandbox) -> None:
    with open_client(kind, sandbox) as client:
        link, callback = authorise(client)
        client.exchange_code(callback.code, code_verifier=link.code_verifier)

        with pytest.raises(InvalidGrant) as caught:  # R3: the code is single use
            client.exchange_code(callback.code, code_verifier=link.code_verifier)

    assert sandbox.calls_by_token(callback.code.reveal()) == 2  # one call each
    assert caught.value.core_event(NOW) == lifecycle.CodeRejected(NOW, error="invalid_grant")


@pytest.mark.parametrize("kind", KINDS)
def test_a_data_call_that_times_out_is_a_transport_error_after_the_configured_attempts(
    kind: Kind, sandbox: Sandbox
) -> None:
    with open_client(kind, sandbox, timeout=0.05) as client:
        grant = connect(client)
        sandbox.inject("/data/v1/accounts", Fault(delay=0.4, count=3))

        with pytest.raises(TransportError) as caught:
            client.accounts(grant.access_token)

    assert sandbox.calls("/data/v1/accounts") == FAST.attempts == 3
    assert caught.value.retryable
    assert caught.value.status is None
    assert "ReadTimeout" in str(caught.value)
    # A read is no request in flight: its failure only records the error (R11).
    assert caught.value.core_event(NOW) == lifecycle.FetchFailed(NOW, error="transport")


@pytest.mark.parametrize("kind", KINDS)
def test_a_token_call_that_timed_out_is_not_repeated_as_it_may_have_used_the_code(
    kind: Kind, sandbox: Sandbox
) -> None:
    with open_client(kind, sandbox, timeout=0.05) as client:
        link, callback = authorise(client)
        sandbox.inject("/connect/token", Fault(delay=0.4, count=3))

        with pytest.raises(TransportError) as caught:
            client.exchange_code(callback.code, code_verifier=link.code_verifier)

    assert sandbox.calls("/connect/token") == 1
    assert not caught.value.retryable


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_refused_connection_is_retried_with_backoff_then_a_transport_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    endpoints = Endpoints.local(f"http://127.0.0.1:{_closed_port()}")
    caplog.set_level(logging.WARNING, logger="stamina")
    with (
        TrueLayerClient(
            client_id="c",
            client_secret="s",
            redirect_uri="http://127.0.0.1/cb",
            endpoints=endpoints,
            retry=FAST,
        ) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.refresh(lifecycle.Secret("refresh-token"))

    assert caught.value.retryable  # the request never left: safe even for a refresh
    assert "before sending" in str(caught.value)
    scheduled = [r for r in caplog.records if r.getMessage() == "stamina.retry_scheduled"]
    assert len(scheduled) == FAST.attempts - 1


def test_a_429_waits_at_most_the_policy_s_longest_backoff(sandbox: Sandbox) -> None:
    slow = RetryPolicy(attempts=2, wait_initial=0.001, wait_max=0.01, wait_jitter=0)
    with open_client("sync", sandbox, retry=slow) as client:
        grant = connect(client)
        sandbox.inject("/data/v1/accounts", Fault(status=429, count=2))  # Retry-After: 1

        with pytest.raises(ProviderTooManyRequests) as caught:
            client.accounts(grant.access_token)

    assert caught.value.retry_after == 1.0
    assert sandbox.calls("/data/v1/accounts") == 2


def test_a_policy_of_one_attempt_never_retries(sandbox: Sandbox) -> None:
    with open_client("sync", sandbox, retry=RetryPolicy.none()) as client:
        grant = connect(client)
        sandbox.inject("/data/v1/accounts", Fault(status=503, count=3))

        with pytest.raises(ProviderError):
            client.accounts(grant.access_token)

    assert sandbox.calls("/data/v1/accounts") == 1


def test_stamina_test_mode_sets_the_attempts(sandbox: Sandbox) -> None:
    with open_client("sync", sandbox, retry=RetryPolicy()) as client:
        grant = connect(client)
        sandbox.inject("/data/v1/accounts", Fault(status=500, count=5))

        with stamina.set_testing(True, attempts=2), pytest.raises(ProviderError):
            client.accounts(grant.access_token)

    assert sandbox.calls("/data/v1/accounts") == 2


@pytest.mark.parametrize(
    "settings", [{"attempts": 0}, {"timeout": 0}, {"wait_initial": -1}, {"wait_jitter": -0.1}]
)
def test_a_retry_policy_refuses_nonsense(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**settings)  # type: ignore[arg-type]


def test_every_request_carries_an_explicit_httpx_timeout(sandbox: Sandbox) -> None:
    seen: list[dict[str, float | None]] = []

    def record(request: httpx.Request) -> None:
        seen.append(request.extensions["timeout"])

    with (
        httpx.Client(event_hooks={"request": [record]}) as http,
        TrueLayerClient(
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            redirect_uri="http://127.0.0.1/callback",
            endpoints=Endpoints.local(sandbox.base_url),
            timeout=httpx.Timeout(2.5, connect=1.0),
            http=http,
        ) as client,
    ):
        grant = connect(client)
        client.me(grant.access_token)

    assert seen == [{"connect": 1.0, "read": 2.5, "write": 2.5, "pool": 2.5}] * 2
