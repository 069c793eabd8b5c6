"""Fixed facts the sandbox serves: scopes, providers, and the mock bank's accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACCOUNTS",
    "SCOPES",
    "Provider",
    "account",
    "balance",
    "covered_providers",
    "provider",
    "transactions",
]

# R1: the scopes TrueLayer knows, with what the dialog tells the user about each.
SCOPES: dict[str, str] = {
    "info": "Your name, address and contact details",
    "accounts": "Your accounts and their details",
    "balance": "Your account balances",
    "cards": "Your cards and their details",
    "transactions": "Your transactions",
    "direct_debits": "Your direct debits",
    "standing_orders": "Your standing orders",
    "offline_access": "Access while you are not using the app (up to 90 days)",
}


@dataclass(frozen=True, slots=True)
class Provider:
    """A bank the dialog can connect to."""

    provider_id: str
    display_name: str
    logo_uri: str


_LOGOS = "https://truelayer-provider-assets.s3.amazonaws.com/global/logos"
_PROVIDERS: dict[str, Provider] = {
    p.provider_id: p
    for p in (
        Provider("uk-cs-mock", "Mock UK Bank", f"{_LOGOS}/mock.svg"),
        Provider("ob-sandbox-bank", "Open Banking Sandbox Bank", f"{_LOGOS}/ob.svg"),
        Provider("oauth-sandbox-bank", "OAuth Sandbox Bank", f"{_LOGOS}/oauth.svg"),
    )
}

# R1: ``providers`` takes provider ids and groups; a group covers several providers.
_GROUPS: dict[str, tuple[str, ...]] = {
    "uk-ob-all": ("ob-sandbox-bank",),
    "uk-oauth-all": ("oauth-sandbox-bank",),
}


def covered_providers(tokens: list[str]) -> tuple[list[str], list[str]]:
    """The provider ids covered by a ``providers`` list, and the unknown entries."""
    covered: list[str] = []
    unknown: list[str] = []
    for token in tokens:
        members = _GROUPS.get(token, (token,) if token in _PROVIDERS else ())
        if not members:
            unknown.append(token)
        covered.extend(m for m in members if m not in covered)
    return covered, unknown


def provider(provider_id: str) -> Provider:
    """The provider with this id (it must be known)."""
    return _PROVIDERS[provider_id]


# Two deterministic accounts of the mock bank (R11), with a handful of transactions each.
ACCOUNTS: tuple[dict[str, Any], ...] = (
    {
        "account_id": "acc-current-0001",
        "account_type": "TRANSACTION",
        "display_name": "Everyday Current Account",
        "currency": "GBP",
        "account_number": {
            "iban": "GB35MOCK00000012345678",
            "swift_bic": "MOCKGB21",
            "number": "12345678",
            "sort_code": "00-00-01",
        },
        "balance": {"available": 1250.5, "current": 1180.25, "overdraft": 500.0},
    },
    {
        "account_id": "acc-savings-0002",
        "account_type": "SAVINGS",
        "display_name": "Rainy Day Saver",
        "currency": "GBP",
        "account_number": {
            "iban": "GB08MOCK00000087654321",
            "swift_bic": "MOCKGB21",
            "number": "87654321",
            "sort_code": "00-00-02",
        },
        "balance": {"available": 8400.0, "current": 8400.0, "overdraft": 0.0},
    },
)

_TRANSACTIONS: dict[str, tuple[tuple[str, str, float, str, str], ...]] = {
    # (timestamp, description, amount, type, category); running balance derived below.
    "acc-current-0001": (
        ("2025-12-01T09:12:00Z", "SALARY ACME LTD", 2500.0, "CREDIT", "PURCHASE"),
        ("2025-12-02T18:40:00Z", "GROCER HIGH STREET", -54.3, "DEBIT", "PURCHASE"),
        ("2025-12-05T07:55:00Z", "RAIL TICKETS", -38.9, "DEBIT", "PURCHASE"),
        ("2025-12-10T12:00:00Z", "RENT DECEMBER", -1100.0, "DEBIT", "STANDING_ORDER"),
        ("2025-12-15T20:15:00Z", "COFFEE CORNER", -3.2, "DEBIT", "PURCHASE"),
    ),
    "acc-savings-0002": (
        ("2025-11-30T00:00:00Z", "INTEREST", 12.4, "CREDIT", "INTEREST"),
        ("2025-12-03T10:00:00Z", "TRANSFER FROM CURRENT", 200.0, "CREDIT", "TRANSFER"),
        ("2025-12-31T00:00:00Z", "INTEREST", 13.1, "CREDIT", "INTEREST"),
    ),
}


def account(account_id: str) -> dict[str, Any] | None:
    """The stored account with this id, or None."""
    return next((a for a in ACCOUNTS if a["account_id"] == account_id), None)


def balance(account_id: str, updated: str) -> dict[str, Any]:
    """The balance result of a known account."""
    found = account(account_id)
    assert found is not None
    return {"currency": found["currency"], **found["balance"], "update_timestamp": updated}


def transactions(account_id: str) -> list[dict[str, Any]]:
    """The transactions of a known account, newest last, with running balances."""
    found = account(account_id)
    assert found is not None
    rows = _TRANSACTIONS[account_id]
    running = float(found["balance"]["current"]) - sum(row[2] for row in rows)
    results: list[dict[str, Any]] = []
    for index, (timestamp, description, amount, kind, category) in enumerate(rows, start=1):
        running = round(running + amount, 2)
        results.append(
            {
                "transaction_id": f"{account_id}-tx-{index:03d}",
                "timestamp": timestamp,
                "description": description,
                "amount": amount,
                "currency": found["currency"],
                "transaction_type": kind,
                "transaction_category": category,
                "running_balance": {"amount": running, "currency": found["currency"]},
                "meta": {"provider_transaction_category": category.lower()},
            }
        )
    return results
