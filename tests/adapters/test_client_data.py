"""Every Data API v1 endpoint through the client against the sandbox, sync and async (R11).

Each endpoint with all of its scopes, with each of them missing, with unknown ids; the
``from``/``to`` boundaries; the headers; unknown fields kept and wrong types refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from test_client_support import KINDS, Client, Kind, connect, open_client

import lifecycle
from adapters.sandbox import Fault, Sandbox
from adapters.truelayer import (
    DATA_ENDPOINTS,
    Account,
    AccountNotFound,
    Balance,
    Card,
    CardBalance,
    CardNotFound,
    DirectDebit,
    Info,
    InsufficientPermissions,
    InvalidDateRange,
    MalformedResponse,
    PendingTransaction,
    StandingOrder,
    Transaction,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CURRENT, SAVINGS, CREDIT = "acc-current-0001", "acc-savings-0002", "card-credit-0001"
ALL = (
    "info",
    "accounts",
    "balance",
    "cards",
    "transactions",
    "direct_debits",
    "standing_orders",
    "offline_access",
)
Read = Callable[[Client, lifecycle.Secret, str], Any]

# One way to call each endpoint: (client method, the id it takes, the call).
CALLS: dict[str, tuple[str | None, Read]] = {
    "me": (None, lambda c, t, i: c.me(t)),
    "info": (None, lambda c, t, i: c.info(t)),
    "accounts": (None, lambda c, t, i: c.accounts(t)),
    "account": (CURRENT, lambda c, t, i: c.account(t, i)),
    "balance": (CURRENT, lambda c, t, i: c.balance(t, i)),
    "transactions": (CURRENT, lambda c, t, i: c.transactions(t, i)),
    "pending_transactions": (CURRENT, lambda c, t, i: c.pending_transactions(t, i)),
    "standing_orders": (CURRENT, lambda c, t, i: c.standing_orders(t, i)),
    "direct_debits": (CURRENT, lambda c, t, i: c.direct_debits(t, i)),
    "cards": (None, lambda c, t, i: c.cards(t)),
    "card": (CREDIT, lambda c, t, i: c.card(t, i)),
    "card_balance": (CREDIT, lambda c, t, i: c.card_balance(t, i)),
    "card_transactions": (CREDIT, lambda c, t, i: c.card_transactions(t, i)),
    "card_pending_transactions": (CREDIT, lambda c, t, i: c.card_pending_transactions(t, i)),
}
SCOPED = [e for e in DATA_ENDPOINTS if e.scopes]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> Kind:
    chosen: Kind = request.param
    return chosen


@pytest.fixture
def client(kind: Kind, sandbox: Sandbox) -> Iterator[Client]:
    with open_client(kind, sandbox) as opened:
        yield opened


def _read(client: Client, name: str, token: lifecycle.Secret) -> Any:
    ident, call = CALLS[name]
    return call(client, token, ident or "")


def test_every_endpoint_is_called_by_the_client() -> None:
    assert set(CALLS) == {e.name for e in DATA_ENDPOINTS}


def test_every_endpoint_answers_typed_results_with_all_its_scopes(client: Client) -> None:
    token = connect(client, scopes=ALL).access_token

    info = client.info(token)
    accounts = client.accounts(token)
    account = client.account(token, "acc-business-0003")
    balance = client.balance(token, CURRENT)
    settled = client.transactions(token, CURRENT)
    pending = client.pending_transactions(token, CURRENT)
    orders = client.standing_orders(token, CURRENT)
    debits = client.direct_debits(token, CURRENT)
    cards = client.cards(token)
    card = client.card(token, "card-charge-0002")
    card_balance = client.card_balance(token, CREDIT)
    card_settled = client.card_transactions(token, CREDIT)
    card_pending = client.card_pending_transactions(token, CREDIT)

    assert isinstance(info[0], Info)
    assert info[0].full_name == "Ada Lovelace"
    assert info[0].addresses[0].city == "London"
    assert [a.account_type for a in accounts] == [
        "TRANSACTION",
        "SAVINGS",
        "BUSINESS_TRANSACTION",
    ]
    assert all(isinstance(a, Account) for a in accounts)
    assert {a.currency for a in accounts} == {"GBP", "EUR"}
    assert (account.currency, account.provider and account.provider.provider_id) == (
        "EUR",
        "uk-cs-mock",
    )
    assert isinstance(balance, Balance)
    assert balance.current == Decimal("1180.25")
    assert balance.update_timestamp == NOW
    assert all(isinstance(t, Transaction) for t in settled)
    assert {t.timestamp.month for t in settled} == {11, 12}
    assert settled[-1].running_balance is not None
    assert settled[-1].running_balance.amount == Decimal("1180.25")
    assert all(isinstance(t, PendingTransaction) for t in pending)
    assert len(pending) == 2
    assert all(isinstance(o, StandingOrder) for o in orders)
    assert orders[0].next_payment_amount == Decimal("1100.0")
    assert all(isinstance(d, DirectDebit) for d in debits)
    assert {d.status for d in debits} == {"Active", "Inactive"}
    assert [(c.card_network, c.card_type, c.currency) for c in cards] == [
        ("VISA", "CREDIT", "GBP"),
        ("MASTERCARD", "CHARGE", "EUR"),
    ]
    assert isinstance(card, Card)
    assert card.partial_card_number == "5555"
    assert isinstance(card_balance, CardBalance)
    assert card_balance.credit_limit == Decimal("3000.0")
    assert card_settled[-1].running_balance is not None
    assert card_settled[-1].running_balance.amount == Decimal("250.0")
    assert [t.description for t in card_pending] == ["GIFT SHOP"]


def test_an_account_without_standing_orders_answers_none(client: Client) -> None:
    token = connect(client, scopes=ALL).access_token

    assert client.standing_orders(token, SAVINGS) == ()
    assert client.direct_debits(token, SAVINGS) == ()


@pytest.mark.parametrize("endpoint", SCOPED, ids=lambda e: e.name)
def test_each_endpoint_works_with_exactly_its_scopes(client: Client, endpoint: Any) -> None:
    token = connect(client, scopes=(*endpoint.scopes, "offline_access")).access_token

    answer = _read(client, endpoint.name, token)

    assert answer is not None


@pytest.mark.parametrize(
    ("name", "missing"),
    [(e.name, scope) for e in SCOPED for scope in e.scopes],
    ids=lambda value: str(value),
)
def test_each_endpoint_without_one_of_its_scopes_is_403_insufficient_permissions(
    client: Client, name: str, missing: str
) -> None:
    token = connect(client, scopes=tuple(s for s in ALL if s != missing)).access_token

    with pytest.raises(InsufficientPermissions) as caught:
        _read(client, name, token)

    assert caught.value.status == 403
    # Not a consent problem: a read that failed, no status change (R11).
    assert caught.value.core_event(NOW) == lifecycle.FetchFailed(
        NOW, error="insufficient_permissions"
    )


def test_me_needs_no_scope_beyond_a_valid_token(client: Client) -> None:
    token = connect(client, scopes=("offline_access",)).access_token

    (consent,) = client.me(token)

    assert consent.scopes == ("offline_access",)


@pytest.mark.parametrize("name", ["transactions", "card_transactions"])
def test_running_balances_need_the_balance_scope(client: Client, name: str) -> None:
    scopes = ("accounts", "cards", "transactions", "offline_access")
    token = connect(client, scopes=scopes).access_token

    rows = _read(client, name, token)

    assert rows
    assert all(row.running_balance is None for row in rows)


@pytest.mark.parametrize(
    ("name", "ident", "error"),
    [
        ("account", "acc-nope", AccountNotFound),
        ("balance", "acc-nope", AccountNotFound),
        ("transactions", "acc-nope", AccountNotFound),
        ("pending_transactions", "acc-nope", AccountNotFound),
        ("standing_orders", "acc-nope", AccountNotFound),
        ("direct_debits", "acc-nope", AccountNotFound),
        ("account", CREDIT, AccountNotFound),  # a card is not an account
        ("card", "card-nope", CardNotFound),
        ("card_balance", "card-nope", CardNotFound),
        ("card_transactions", "card-nope", CardNotFound),
        ("card_pending_transactions", CURRENT, CardNotFound),
    ],
)
def test_an_unknown_id_is_404_account_not_found_or_card_not_found(
    client: Client, name: str, ident: str, error: type[Exception]
) -> None:
    token = connect(client, scopes=ALL).access_token

    with pytest.raises(error) as caught:
        CALLS[name][1](client, token, ident)

    assert getattr(caught.value, "status", None) == 404
    assert len(client.accounts(token)) == 3  # nothing else changed


# The current account's settled rows: 2025-11-03 09:00 ... 2025-12-15 20:15 (UTC).
SALARY = datetime(2025, 12, 1, 9, 12, tzinfo=UTC)
_TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (SALARY, None, 5),  # from is inclusive
        (SALARY + _TICK, None, 4),
        (None, SALARY, 4),  # to is inclusive
        (None, SALARY - _TICK, 3),
        (SALARY, SALARY, 1),
        (SALARY.astimezone(timezone(timedelta(hours=1))), SALARY, 1),  # offsets compare as UTC
        (datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 11, 30, tzinfo=UTC), 3),
        (datetime(2026, 1, 1, tzinfo=UTC), None, 0),
        (None, None, 8),
    ],
)
def test_from_and_to_filter_transactions_inclusively(
    client: Client, since: datetime | None, until: datetime | None, expected: int
) -> None:
    token = connect(client, scopes=ALL).access_token

    rows = client.transactions(token, CURRENT, since=since, until=until)

    assert len(rows) == expected
    assert all((since is None or r.timestamp >= since) for r in rows)
    assert all((until is None or r.timestamp <= until) for r in rows)


def test_card_transactions_honour_from_and_to(client: Client) -> None:
    token = connect(client, scopes=ALL).access_token
    november = (datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 11, 30, 23, 59, tzinfo=UTC))

    rows = client.card_transactions(token, CREDIT, since=november[0], until=november[1])

    assert [r.description for r in rows] == ["RESTAURANT", "PAYMENT THANK YOU"]


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (datetime(2025, 12, 1), None),
        (None, datetime(2025, 12, 1)),
        (datetime(2025, 12, 2, tzinfo=UTC), datetime(2025, 12, 1, tzinfo=UTC)),
    ],
    ids=["naive-since", "naive-until", "reversed"],
)
def test_a_naive_or_reversed_range_is_refused_before_sending(
    client: Client, sandbox: Sandbox, since: datetime | None, until: datetime | None
) -> None:
    token = connect(client, scopes=ALL).access_token
    path = f"/data/v1/accounts/{CURRENT}/transactions"

    with pytest.raises(ValueError, match=r"since|until"):
        client.transactions(token, CURRENT, since=since, until=until)

    assert sandbox.calls(path) == 0


def test_the_sandbox_answers_invalid_date_range_and_the_client_maps_it(
    client: Client, sandbox: Sandbox, http: httpx.Client
) -> None:
    grant = connect(client, scopes=ALL)
    path = f"/data/v1/accounts/{CURRENT}/transactions"
    headers = {"Authorization": f"Bearer {grant.access_token.reveal()}"}

    raw = http.get(f"{sandbox.base_url}{path}?from=2025-12-02&to=2025-12-01", headers=headers)
    unreadable = http.get(f"{sandbox.base_url}{path}?from=yesterday", headers=headers)
    sandbox.inject(path, Fault(status=400, body=raw.text))
    with pytest.raises(InvalidDateRange) as caught:
        client.transactions(grant.access_token, CURRENT)

    assert raw.status_code == 400
    assert raw.json()["error"] == "invalid_date_range"
    assert raw.json()["error_details"] == {}
    assert unreadable.status_code == 400
    assert unreadable.json()["error"] == "validation_error"
    assert caught.value.retryable is False
    assert caught.value.core_event(NOW) == lifecycle.FetchFailed(NOW, error="invalid_date_range")


def test_answers_carry_a_correlation_id_and_the_credentials_id(
    client: Client, sandbox: Sandbox, http: httpx.Client
) -> None:
    grant = connect(client, scopes=ALL)
    (consent,) = client.me(grant.access_token)
    headers = {"Authorization": f"Bearer {grant.access_token.reveal()}"}

    data = http.get(f"{sandbox.base_url}/data/v1/accounts", headers=headers)
    refused = http.get(f"{sandbox.base_url}/data/v1/accounts/nope", headers=headers)
    anonymous = http.get(f"{sandbox.base_url}/data/v1/accounts")
    token = http.post(f"{sandbox.base_url}/connect/token", data={})

    answers = (data, refused, anonymous, token)
    ids = [a.headers["x-tl-correlation-id"] for a in answers]
    assert len(set(ids)) == len(ids)
    assert data.headers["x-credentials-id"] == consent.credentials_id
    assert refused.headers["x-credentials-id"] == consent.credentials_id
    assert "x-credentials-id" not in anonymous.headers  # nobody to name


def test_an_unknown_field_is_kept_and_a_wrong_type_is_refused_by_path(
    client: Client, sandbox: Sandbox
) -> None:
    token = connect(client, scopes=ALL).access_token
    grown = (
        '{"results": [{"account_id": "a1", "account_type": "SAVINGS", "display_name": "S",'
        ' "currency": "GBP", "update_timestamp": "2026-01-01T00:00:00",'
        ' "nickname": "rainy day", "provider": {"provider_id": "p", "country": "GB"}}],'
        ' "status": "Succeeded"}'
    )
    wrong = '{"results": [{"currency": "GBP", "current": "lots", "update_timestamp": "x"}]}'
    sandbox.inject("/data/v1/accounts", Fault(status=200, body=grown))
    sandbox.inject(f"/data/v1/accounts/{CURRENT}/balance", Fault(status=200, body=wrong))

    (account,) = client.accounts(token)
    with pytest.raises(MalformedResponse) as caught:
        client.balance(token, CURRENT)

    assert account.extra == {"nickname": "rainy day"}
    assert account.provider is not None
    assert account.provider.extra == {"country": "GB"}
    assert account.update_timestamp == NOW  # no offset: UTC
    assert "$.current" in str(caught.value)
    assert "$.update_timestamp" in str(caught.value)
    assert "lots" not in str(caught.value)
    assert caught.value.core_event(NOW) == lifecycle.FetchFailed(NOW, error="malformed_response")


def test_results_keep_personal_data_out_of_repr(client: Client) -> None:
    token = connect(client, scopes=ALL).access_token

    (info,) = client.info(token)
    account = client.account(token, CURRENT)

    assert "Lovelace" not in repr(info)
    assert "ada@example.com" not in repr(info)
    assert "12345678" not in repr(account)


@pytest.mark.parametrize("kind_", KINDS)
def test_both_clients_read_the_same_results(kind_: Kind, sandbox: Sandbox) -> None:
    with open_client(kind_, sandbox) as one, open_client("sync", sandbox) as other:
        token = connect(one, scopes=ALL).access_token
        assert one.transactions(token, CURRENT) == other.transactions(token, CURRENT)
        assert one.card_balance(token, CREDIT) == other.card_balance(token, CREDIT)
