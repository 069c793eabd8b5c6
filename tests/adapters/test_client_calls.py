"""Every call of the client against the sandbox, sync and async alike (R4, R6, R9-R12)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from test_client_support import (
    CLIENT_ID,
    KINDS,
    SCOPES,
    USER,
    Client,
    Kind,
    authorise,
    connect,
    consent,
    must,
    open_client,
)

import lifecycle
from adapters.sandbox import ExtendAnswer, RefreshMode, Sandbox, SandboxConfig
from adapters.truelayer import (
    AccessDeniedError,
    AuthenticationNeeded,
    CallbackCode,
    Deleted,
    Endpoints,
    Extended,
    ExtendUser,
    InvalidGrant,
    InvalidToken,
    NotFound,
    ReconfirmationNeeded,
    Requests,
    TrueLayerClient,
    parse_callback,
)

CURRENT = "acc-current-0001"


@pytest.fixture(params=KINDS)
def client(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[Client]:
    kind: Kind = request.param
    with open_client(kind, sandbox) as opened:
        yield opened


def test_code_exchange_gives_tokens_the_core_turns_active(client: Client, sandbox: Sandbox) -> None:
    now = sandbox.clock.now()
    record = lifecycle.start(lifecycle.ConnectionStarted(now, region="uk", scopes=SCOPES))
    link, callback = authorise(client)
    record = must(record, link.link_issued(now)).record
    record = must(record, callback.to_event(now)).record
    decision = must(record, lifecycle.ExchangeCode(now))
    assert decision.effects == (lifecycle.Effect.EXCHANGE_CODE,)

    grant = client.exchange_code(callback.code, code_verifier=link.code_verifier)

    assert grant.expires_in == 3600
    assert grant.refresh_token is not None
    assert grant.scope == SCOPES
    event = grant.to_event(now)
    assert isinstance(event, lifecycle.CodeExchanged)
    record = must(decision.record, event).record
    assert record.status is lifecycle.Status.ACTIVE
    assert record.grant.access_token == grant.access_token
    assert record.grant.access_expires_at == now + timedelta(hours=1)
    assert sandbox.calls_by_token(callback.code.reveal()) == 1


def test_exchange_without_offline_access_gives_no_refresh_token(client: Client) -> None:
    grant = connect(client, scopes=("info", "accounts"))

    assert grant.refresh_token is None
    assert grant.scope == ("info", "accounts")


def test_exchange_without_the_pkce_verifier_is_an_invalid_grant(client: Client) -> None:
    _, callback = authorise(client)

    with pytest.raises(InvalidGrant) as caught:
        client.exchange_code(callback.code, code_verifier=None)

    assert caught.value.status == 400
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert caught.value.core_event(now) == lifecycle.CodeRejected(now, error="invalid_grant")


def test_refresh_gives_a_new_access_token_and_the_old_one_stops_working(
    client: Client, sandbox: Sandbox
) -> None:
    first = connect(client)
    assert first.refresh_token is not None

    second = client.refresh(first.refresh_token)

    assert second.access_token != first.access_token
    assert second.refresh_token == first.refresh_token  # REUSABLE mode returns it again
    event = second.to_event(sandbox.clock.now())
    assert isinstance(event, lifecycle.TokenRefreshed)
    assert event.access_token == second.access_token
    with pytest.raises(InvalidToken):  # R5: only the last access token is valid
        client.accounts(first.access_token)
    assert len(client.accounts(second.access_token)) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_a_rotated_refresh_token_comes_back_and_the_old_one_is_refused(
    kind: Kind, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sandbox = start_sandbox(SandboxConfig(refresh_mode=RefreshMode.ROTATING))
    with open_client(kind, sandbox) as client:
        first = connect(client)
        assert first.refresh_token is not None

        second = client.refresh(first.refresh_token)

        assert second.refresh_token is not None
        assert second.refresh_token != first.refresh_token
        with pytest.raises(InvalidGrant) as caught:
            client.refresh(first.refresh_token)
        now = sandbox.clock.now()
        assert caught.value.core_event(now) == lifecycle.RefreshRejected(now, error="invalid_grant")


def test_extend_no_action_needed_gives_new_tokens_and_extension_granted(
    client: Client, sandbox: Sandbox
) -> None:
    grant = connect(client)
    assert grant.refresh_token is not None

    result = client.extend(grant.refresh_token, user=USER)

    assert isinstance(result, Extended)
    assert result.grant.refresh_token not in (None, grant.refresh_token)
    now = sandbox.clock.now()
    assert result.to_event(now) == lifecycle.ExtensionGranted(
        now,
        expires_in=3600,
        refresh_token=result.grant.refresh_token,
        access_token=result.grant.access_token,
    )
    assert len(client.accounts(result.grant.access_token)) == 3


def test_extend_takes_a_user_with_a_phone_number_instead_of_an_email(client: Client) -> None:
    grant = connect(client)
    assert grant.refresh_token is not None
    user = ExtendUser("user-1", "Ada Lovelace", phone="+447700900123")

    result = client.extend(grant.refresh_token, user=user)

    assert isinstance(result, Extended)
    assert "+447700900123" not in repr(user)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ExtendUser("user-1", "Ada Lovelace"),
        lambda: ExtendUser("user-1", " ", "ada@example.com"),
        lambda: ExtendUser("", "Ada Lovelace", "ada@example.com"),
        lambda: ExtendUser("user-1", "Ada Lovelace", email="", phone=" "),
    ],
    ids=["no-contact", "no-name", "no-id", "blank-contacts"],
)
def test_an_extend_user_needs_a_name_and_an_email_or_a_phone(
    make: Callable[[], ExtendUser],
) -> None:
    with pytest.raises(ValueError, match="ExtendUser"):
        make()


def test_extend_authentication_needed_leads_through_a_new_attempt_back_to_active(
    client: Client, sandbox: Sandbox
) -> None:
    t0 = sandbox.clock.now()
    record = lifecycle.start(lifecycle.ConnectionStarted(t0, region="uk", scopes=SCOPES))
    link, callback = authorise(client)
    record = must(must(record, link.link_issued(t0)).record, callback.to_event(t0)).record
    decision = must(record, lifecycle.ExchangeCode(t0))
    grant = client.exchange_code(callback.code, code_verifier=link.code_verifier)
    record = must(decision.record, grant.to_event(t0)).record
    assert record.grant.refresh_token is not None
    sandbox.configure(extend_answer=ExtendAnswer.AUTHENTICATION_NEEDED)
    now = sandbox.clock.advance(timedelta(days=10))
    record = must(record, lifecycle.ConsentReconfirmed(now, evidence="settings")).record
    decision = must(record, lifecycle.Extend(now))
    assert record.grant.refresh_token is not None

    result = client.extend(record.grant.refresh_token, user=USER)

    assert isinstance(result, AuthenticationNeeded)
    assert result.user_input_link.startswith(f"{sandbox.base_url}/?")
    assert result.user_input_link not in repr(result)
    event = result.to_event(now)
    assert event == lifecycle.ExtensionNeedsAuthentication(
        now, user_input_link=result.user_input_link
    )
    record = must(decision.record, event).record
    # R9: nothing revoked: the connection stays active while the user re-authenticates.
    assert record.status is lifecycle.Status.ACTIVE and record.reauthenticating
    # R9: the user authenticates and comes back with a code, exchanged as usual (R4);
    # R14: the attempt carries our own state and PKCE pair, checked by client and core.
    again = result.auth_link()
    record = must(record, again.link_issued(now)).record
    returned = parse_callback(consent(again), again.state)
    assert isinstance(returned, CallbackCode)
    record = must(record, returned.to_event(now)).record
    decision = must(record, lifecycle.ExchangeCode(now))
    grant = client.exchange_code(returned.code, code_verifier=again.code_verifier)
    record = must(decision.record, grant.to_event(now)).record
    assert record.status is lifecycle.Status.ACTIVE
    # The consent clock restarted on both sides (R9).
    (consent_,) = client.me(grant.access_token)
    assert consent_.consent_expires_at == now + timedelta(days=90)
    assert lifecycle.deadlines(record, now).consent_expires_at == now + timedelta(days=90)


def test_extend_reconfirmation_needed_frees_the_request_without_extending(
    client: Client, sandbox: Sandbox
) -> None:
    grant = connect(client)
    assert grant.refresh_token is not None
    sandbox.configure(extend_answer=ExtendAnswer.RECONFIRMATION_OF_CONSENT_NEEDED)

    result = client.extend(grant.refresh_token, user=USER)

    assert result == ReconfirmationNeeded()
    now = sandbox.clock.now()
    assert result.to_event(now, request=3) == lifecycle.RequestFailed(
        now, request=3, error="reconfirmation_of_consent_needed"
    )


def test_me_reports_the_consent_and_its_expiry(client: Client, sandbox: Sandbox) -> None:
    grant = connect(client)

    (consent_,) = client.me(grant.access_token)

    assert consent_.client_id == CLIENT_ID
    assert consent_.provider_id == "uk-cs-mock"
    assert consent_.scopes == SCOPES
    assert consent_.consent_created_at == sandbox.clock.now()
    assert consent_.consent_expires_at == sandbox.clock.now() + timedelta(days=90)
    assert consent_.raw["credentials_id"] == consent_.credentials_id


def test_accounts_balance_and_transactions_read_the_mock_bank(client: Client) -> None:
    grant = connect(client)

    accounts = client.accounts(grant.access_token, psu_ip="203.0.113.7")
    balance = client.balance(grant.access_token, CURRENT)
    transactions = client.transactions(
        grant.access_token,
        CURRENT,
        since=datetime(2025, 11, 1, tzinfo=UTC),
        until=datetime(2026, 1, 1, tzinfo=UTC),
        psu_ip="2001:db8::1",
    )

    assert [a.account_id for a in accounts] == [CURRENT, "acc-savings-0002", "acc-business-0003"]
    assert balance.current == Decimal("1180.25")
    assert [t.transaction_id for t in transactions][:2] == [
        f"{CURRENT}-tx-001",
        f"{CURRENT}-tx-002",
    ]


def test_an_unknown_account_is_not_found_and_cannot_reach_another_path(client: Client) -> None:
    grant = connect(client)

    with pytest.raises(NotFound) as caught:
        client.balance(grant.access_token, "../../api/delete")

    assert caught.value.status == 404
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert caught.value.core_event(at) == lifecycle.FetchFailed(at, error="not_found")
    assert len(client.accounts(grant.access_token)) == 3  # still connected


def test_delete_revokes_then_refresh_is_invalid_grant_and_data_is_access_denied(
    client: Client, sandbox: Sandbox
) -> None:
    grant = connect(client)
    assert grant.refresh_token is not None

    deleted = client.delete(grant.access_token)

    now = sandbox.clock.now()
    assert deleted == Deleted()
    assert deleted.to_event(now) == lifecycle.Revoked(now)
    with pytest.raises(InvalidGrant):
        client.refresh(grant.refresh_token)
    with pytest.raises(AccessDeniedError) as caught:
        client.accounts(grant.access_token)
    assert caught.value.core_event(now) == lifecycle.AccessDenied(now)


def test_requests_put_tokens_in_headers_and_bodies_never_in_urls() -> None:
    requests = Requests(
        client_id=CLIENT_ID,
        client_secret=lifecycle.Secret("s3cret"),
        endpoints=Endpoints.local("http://127.0.0.1:1"),
        redirect_uri="http://127.0.0.1/callback",
    )
    token = lifecycle.Secret("access-token-value")
    since = datetime(2026, 1, 1, tzinfo=UTC)

    data = requests.transactions(token, "a/b", "203.0.113.7", since)
    exchange = requests.exchange(lifecycle.Secret("the-code"), lifecycle.Secret("the-verifier"))

    assert data.url == (
        "http://127.0.0.1:1/data/v1/accounts/a%2Fb/transactions?from=2026-01-01T00%3A00%3A00%2B00%3A00"
    )
    assert data.headers["Authorization"] == "Bearer access-token-value"
    assert data.headers["X-PSU-IP"] == "203.0.113.7"
    assert exchange.form is not None
    assert exchange.form["code_verifier"] == "the-verifier"
    assert exchange.form["client_secret"] == "s3cret"
    for operation in (data, exchange):
        assert "access-token-value" not in operation.url
        assert "the-code" not in operation.url
        assert "s3cret" not in repr(operation)
        assert "access-token-value" not in repr(operation)
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        requests.accounts(token, "not-an-ip")


def test_the_client_shows_only_its_client_id(sandbox: Sandbox) -> None:
    with TrueLayerClient(
        client_id=CLIENT_ID,
        client_secret="sandbox-secret",
        redirect_uri="http://127.0.0.1/callback",
        endpoints=Endpoints.local(sandbox.base_url),
    ) as client:
        shown = repr(client) + str(client)

    assert shown == f"TrueLayerClient(client_id='{CLIENT_ID}')" * 2
    assert "sandbox-secret" not in shown
