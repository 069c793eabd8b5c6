"""Every error of R11 and R13 maps to one class, one retry decision and one core event."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from test_client_support import KINDS, USER, Client, Kind, authorise, connect, open_client

import lifecycle
from adapters.sandbox import Fault, Sandbox, SandboxConfig
from adapters.truelayer import (
    AccessDeniedError,
    AccountNotFound,
    Call,
    CardNotFound,
    DeprecatedProvider,
    InsufficientPermissions,
    InvalidClient,
    InvalidDateRange,
    InvalidGrant,
    InvalidToken,
    NotFound,
    ProviderError,
    ProviderTooManyRequests,
    ScaExceeded,
    TemporarilyUnavailable,
    TrueLayerError,
    UnauthorizedClient,
    UnexpectedResponse,
    ValidationError,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CURRENT = "acc-current-0001"
CARD = "card-credit-0001"
Invoke = Callable[[Client], object]


def _exchange(client: Client) -> object:
    link, callback = authorise(client)
    return lambda: client.exchange_code(callback.code, code_verifier=link.code_verifier)


def _with_grant(call: Callable[[Client, lifecycle.Secret, lifecycle.Secret], object]) -> Invoke:
    def prepare(client: Client) -> object:
        grant = connect(client)
        assert grant.refresh_token is not None
        refresh = grant.refresh_token
        return lambda: call(client, grant.access_token, refresh)

    return prepare


_CALLS: dict[str, tuple[str, Invoke]] = {
    "exchange": ("/connect/token", _exchange),
    "refresh": ("/connect/token", _with_grant(lambda c, a, r: c.refresh(r))),
    "extend": ("/data/v1/connections/extend", _with_grant(lambda c, a, r: c.extend(r, user=USER))),
    "me": ("/data/v1/me", _with_grant(lambda c, a, r: c.me(a))),
    "accounts": ("/data/v1/accounts", _with_grant(lambda c, a, r: c.accounts(a))),
    "balance": (
        f"/data/v1/accounts/{CURRENT}/balance",
        _with_grant(lambda c, a, r: c.balance(a, CURRENT)),
    ),
    "transactions": (
        f"/data/v1/accounts/{CURRENT}/transactions",
        _with_grant(lambda c, a, r: c.transactions(a, CURRENT)),
    ),
    "card_balance": (
        f"/data/v1/cards/{CARD}/balance",
        _with_grant(lambda c, a, r: c.card_balance(a, CARD)),
    ),
    "delete": ("/api/delete", _with_grant(lambda c, a, r: c.delete(a))),
}


@dataclass(frozen=True)
class Row:
    call: str
    status: int
    error: str
    expected: type[TrueLayerError]
    retryable: bool
    event: type[lifecycle.Input]

    def __str__(self) -> str:
        return f"{self.call}-{self.status}-{self.error}"


# The documented error table (docs/how-to/truelayer-client.md), row by row.
TABLE = (
    Row("exchange", 400, "invalid_grant", InvalidGrant, False, lifecycle.CodeRejected),
    Row("exchange", 400, "invalid_authorization_code", InvalidGrant, False, lifecycle.CodeRejected),
    Row("exchange", 400, "invalid_client", InvalidClient, False, lifecycle.RequestFailed),
    Row("exchange", 401, "unauthorized_client", UnauthorizedClient, False, lifecycle.RequestFailed),
    Row("exchange", 400, "validation_error", ValidationError, False, lifecycle.RequestFailed),
    Row(
        "exchange", 429, "provider_too_many_requests", ProviderTooManyRequests, True,
        lifecycle.RequestFailed,
    ),
    Row(
        "exchange", 503, "temporarily_unavailable", TemporarilyUnavailable, True,
        lifecycle.RequestFailed,
    ),
    # A 500 may have used the code: its outcome is unknown (R15).
    Row("exchange", 500, "provider_error", ProviderError, False, lifecycle.OutcomeUnknown),
    Row("refresh", 400, "invalid_grant", InvalidGrant, False, lifecycle.RefreshRejected),
    Row("refresh", 400, "invalid_client", InvalidClient, False, lifecycle.RequestFailed),
    Row("refresh", 401, "unauthorized_client", UnauthorizedClient, False, lifecycle.RequestFailed),
    Row("refresh", 503, "provider_error", ProviderError, True, lifecycle.RequestFailed),
    # A 502 may have rotated the refresh token (R6): unresolved until the journal knows.
    Row("refresh", 502, "provider_error", ProviderError, False, lifecycle.OutcomeUnknown),
    Row("extend", 400, "invalid_grant", InvalidGrant, False, lifecycle.RequestFailed),
    Row("extend", 400, "validation_error", ValidationError, False, lifecycle.RequestFailed),
    Row("accounts", 401, "invalid_token", InvalidToken, False, lifecycle.FetchFailed),
    Row("accounts", 401, "unauthorized", InvalidToken, False, lifecycle.FetchFailed),
    Row("accounts", 403, "access_denied", AccessDeniedError, False, lifecycle.AccessDenied),
    Row("me", 403, "access_denied", AccessDeniedError, False, lifecycle.AccessDenied),
    # A deletion refused: it did not take effect; the data calls say what became of it.
    Row("delete", 403, "access_denied", AccessDeniedError, False, lifecycle.RequestFailed),
    Row("transactions", 403, "sca_exceeded", ScaExceeded, False, lifecycle.FetchFailed),
    Row(
        "balance", 403, "insufficient_permissions", InsufficientPermissions, False,
        lifecycle.FetchFailed,
    ),
    Row(
        "accounts", 429, "provider_too_many_requests", ProviderTooManyRequests, True,
        lifecycle.FetchFailed,
    ),
    Row("accounts", 500, "provider_error", ProviderError, True, lifecycle.FetchFailed),
    Row(
        "balance", 503, "temporarily_unavailable", TemporarilyUnavailable, True,
        lifecycle.FetchFailed,
    ),
    Row("me", 504, "gateway_timeout", ProviderError, True, lifecycle.FetchFailed),
    Row("accounts", 418, "teapot", UnexpectedResponse, False, lifecycle.FetchFailed),
    Row("transactions", 400, "invalid_date_range", InvalidDateRange, False, lifecycle.FetchFailed),
    Row("accounts", 400, "deprecated_provider", DeprecatedProvider, False, lifecycle.FetchFailed),
    Row("balance", 404, "account_not_found", AccountNotFound, False, lifecycle.FetchFailed),
    Row("card_balance", 404, "card_not_found", CardNotFound, False, lifecycle.FetchFailed),
    Row("card_balance", 404, "not_found", NotFound, False, lifecycle.FetchFailed),
)  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("row", TABLE, ids=str)
def test_each_error_has_its_class_retry_decision_and_core_event(
    row: Row, kind: Kind, sandbox: Sandbox
) -> None:
    path, prepare = _CALLS[row.call]
    with open_client(kind, sandbox) as client:
        invoke = prepare(client)
        assert callable(invoke)
        before = sandbox.calls(path)
        sandbox.inject(path, Fault(status=row.status, error=row.error, count=3))

        with pytest.raises(TrueLayerError) as caught:
            invoke()

    error = caught.value
    assert type(error) is row.expected
    assert (error.status, error.error, error.retryable) == (row.status, row.error, row.retryable)
    # Retryable errors are repeated up to the policy's 3 attempts; the others never.
    assert sandbox.calls(path) - before == (3 if row.retryable else 1)
    # R15: every failure is an event, by the core's own mapping.
    event = error.core_event(NOW, request=7)
    assert type(event) is row.event and event.at == NOW
    if row.call in ("exchange", "refresh", "extend", "delete"):  # requests, not reads
        assert getattr(event, "request", None) == 7
    assert row.error in str(error) and str(row.status) in str(error)
    assert "injected by the sandbox" not in str(error) + repr(error)  # the description
    assert error.description == "injected by the sandbox"


def test_an_error_survives_pickling_with_its_fields() -> None:
    error = ProviderTooManyRequests(
        Call.DATA, status=429, error="provider_too_many_requests", retry_after=2.0
    )

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301

    assert type(copy) is ProviderTooManyRequests
    assert (copy.call, copy.status, copy.error, copy.retryable, copy.retry_after) == (
        Call.DATA,
        429,
        "provider_too_many_requests",
        True,
        2.0,
    )
    assert str(copy) == str(error)


def test_a_core_event_needs_an_aware_time() -> None:
    error = InvalidGrant(Call.REFRESH, status=400, error="invalid_grant")

    assert error.core_event(NOW) == lifecycle.RefreshRejected(NOW, error="invalid_grant")
    with pytest.raises(lifecycle.NaiveDatetimeError):
        error.core_event(datetime(2026, 1, 1))


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_client_secret_is_invalid_client_after_one_call(
    kind: Kind, sandbox: Sandbox
) -> None:
    with open_client(kind, sandbox) as good:
        link, callback = authorise(good)
    with (
        open_client(kind, sandbox, client_secret="wrong-secret") as client,
        pytest.raises(InvalidClient) as caught,
    ):
        client.exchange_code(callback.code, code_verifier=link.code_verifier)

    assert sandbox.calls("/connect/token") == 1
    assert "wrong-secret" not in str(caught.value) + repr(caught.value)
    assert caught.value.core_event(NOW) == lifecycle.RequestFailed(NOW, error="invalid_client")


def test_a_client_not_allowed_the_grant_is_unauthorized_client(
    start_sandbox: Callable[[SandboxConfig], Sandbox],
) -> None:
    sandbox = start_sandbox(SandboxConfig(unauthorized_client_ids=frozenset({"sandbox-client"})))
    with open_client("sync", sandbox) as client:
        link, callback = authorise(client)
        with pytest.raises(UnauthorizedClient) as caught:
            client.exchange_code(callback.code, code_verifier=link.code_verifier)

    assert caught.value.status == 401


def test_a_scope_not_granted_is_insufficient_permissions_not_a_lifecycle_change(
    sandbox: Sandbox,
) -> None:
    with open_client("sync", sandbox) as client:
        grant = connect(client, scopes=("info", "accounts"))
        with pytest.raises(InsufficientPermissions) as caught:
            client.balance(grant.access_token, CURRENT)
        assert len(client.accounts(grant.access_token)) == 3

    # A data call that failed, with no change of status (R11).
    assert caught.value.core_event(NOW) == lifecycle.FetchFailed(
        NOW, error="insufficient_permissions"
    )
