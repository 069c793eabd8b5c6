"""The mock bank's data: one user's identity, accounts, cards and their histories.

Fixed and deterministic, so tests can assert exact answers: three accounts (a GBP
current account, a GBP saver, a EUR business account) and two cards (a GBP credit card,
a EUR charge card), settled transactions across October 2025 to January 2026 (before
the sandbox clock's default start), pending ones, standing orders and direct debits.
Field names and shapes follow TrueLayer's Data API v1 reference pages; running balances
are derived backwards from each current balance, so the newest settled row shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACCOUNTS",
    "CARDS",
    "DIRECT_DEBITS",
    "INFO",
    "PENDING",
    "STANDING_ORDERS",
    "Holding",
    "Row",
    "holding",
]


@dataclass(frozen=True, slots=True)
class Row:
    """One transaction: when, what, how much (negative is money out), its category."""

    timestamp: str
    description: str
    amount: float
    category: str
    classification: tuple[str, ...] = ()
    merchant: str | None = None


@dataclass(frozen=True, slots=True)
class Holding:
    """An account or a card: what ``/accounts`` or ``/cards`` shows, its balance, rows."""

    kind: str  # "account" or "card"
    listing: dict[str, Any]
    balance: dict[str, Any]
    settled: tuple[Row, ...]
    pending: tuple[Row, ...] = ()

    @property
    def id(self) -> str:
        """The ``account_id`` (cards are accounts too in TrueLayer's model)."""
        return str(self.listing["account_id"])

    @property
    def currency(self) -> str:
        """The ISO 4217 currency of the holding."""
        return str(self.listing["currency"])


INFO: dict[str, Any] = {
    "full_name": "Ada Lovelace",
    "date_of_birth": "1985-12-10T00:00:00Z",
    "addresses": [
        {
            "address": "12 St James's Square",
            "city": "London",
            "state": "Greater London",
            "zip": "SW1Y 4JH",
            "country": "GB",
        }
    ],
    "emails": ["ada@example.com"],
    "phones": ["+447700900123"],
}

_CURRENT = Holding(
    kind="account",
    listing={
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
    },
    balance={"available": 1250.5, "current": 1180.25, "overdraft": 500.0},
    settled=(
        Row("2025-11-03T09:00:00Z", "SALARY ACME LTD", 2500.0, "CREDIT", ("Income", "Salary")),
        Row(
            "2025-11-10T12:00:00Z",
            "RENT NOVEMBER",
            -1100.0,
            "STANDING_ORDER",
            ("Bills and Utilities", "Rent"),
        ),
        Row(
            "2025-11-21T08:30:00Z",
            "NORTHERN ENERGY DD",
            -82.4,
            "DIRECT_DEBIT",
            ("Bills and Utilities", "Energy"),
            "Northern Energy",
        ),
        Row("2025-12-01T09:12:00Z", "SALARY ACME LTD", 2500.0, "CREDIT", ("Income", "Salary")),
        Row(
            "2025-12-02T18:40:00Z",
            "GROCER HIGH STREET",
            -54.3,
            "PURCHASE",
            ("Shopping", "Groceries"),
            "Grocer",
        ),
        Row("2025-12-05T07:55:00Z", "RAIL TICKETS", -38.9, "PURCHASE", ("Transport", "Rail")),
        Row(
            "2025-12-10T12:00:00Z",
            "RENT DECEMBER",
            -1100.0,
            "STANDING_ORDER",
            ("Bills and Utilities", "Rent"),
        ),
        Row(
            "2025-12-15T20:15:00Z",
            "COFFEE CORNER",
            -3.2,
            "PURCHASE",
            ("Food and Drink", "Coffee"),
            "Coffee Corner",
        ),
    ),
    pending=(
        Row(
            "2025-12-31T16:05:00Z",
            "BOOKSHOP ONLINE",
            -24.99,
            "PURCHASE",
            ("Shopping", "Books"),
            "Bookshop",
        ),
        Row("2025-12-31T21:40:00Z", "TAXI RIDE", -15.6, "PURCHASE", ("Transport", "Taxi")),
    ),
)

_SAVINGS = Holding(
    kind="account",
    listing={
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
    },
    balance={"available": 8400.0, "current": 8400.0, "overdraft": 0.0},
    settled=(
        Row("2025-11-30T00:00:00Z", "INTEREST", 12.4, "INTEREST", ("Income", "Interest")),
        Row("2025-12-03T10:00:00Z", "TRANSFER FROM CURRENT", 200.0, "TRANSFER"),
        Row("2025-12-31T00:00:00Z", "INTEREST", 13.1, "INTEREST", ("Income", "Interest")),
    ),
)

_BUSINESS = Holding(
    kind="account",
    listing={
        "account_id": "acc-business-0003",
        "account_type": "BUSINESS_TRANSACTION",
        "display_name": "Studio Business Account",
        "currency": "EUR",
        "account_number": {"iban": "DE89370400440532013000", "swift_bic": "MOCKDEFF"},
    },
    balance={"available": 15230.75, "current": 15230.75, "overdraft": 0.0},
    settled=(
        Row("2025-10-15T10:00:00Z", "INVOICE 2025-041", 4800.0, "CREDIT", ("Income", "Sales")),
        Row("2025-10-28T14:20:00Z", "CLOUD HOSTING", -129.0, "PURCHASE", ("Business", "IT")),
        Row("2025-11-15T10:00:00Z", "INVOICE 2025-047", 5200.0, "CREDIT", ("Income", "Sales")),
        Row("2025-12-19T09:45:00Z", "OFFICE SUPPLIES", -240.25, "PURCHASE", ("Business", "Office")),
    ),
    pending=(Row("2025-12-31T11:00:00Z", "CLOUD HOSTING", -129.0, "PURCHASE", ("Business", "IT")),),
)

_CREDIT_CARD = Holding(
    kind="card",
    listing={
        "account_id": "card-credit-0001",
        "card_network": "VISA",
        "card_type": "CREDIT",
        "currency": "GBP",
        "display_name": "Rewards Credit Card",
        "partial_card_number": "4242",
        "name_on_card": "A. LOVELACE",
        "valid_from": "2024-01",
        "valid_to": "2028-01",
    },
    balance={
        "available": 2750.0,
        "current": 250.0,
        "credit_limit": 3000.0,
        "last_statement_balance": 180.4,
        "last_statement_date": "2025-12-01T00:00:00Z",
        "payment_due": 25.0,
        "payment_due_date": "2025-12-24T00:00:00Z",
    },
    settled=(
        Row(
            "2025-10-20T13:10:00Z",
            "BOOKSHOP HIGH STREET",
            -35.0,
            "PURCHASE",
            ("Shopping", "Books"),
            "Bookshop",
        ),
        Row(
            "2025-11-08T19:30:00Z",
            "RESTAURANT",
            -145.4,
            "PURCHASE",
            ("Food and Drink", "Restaurants"),
        ),
        Row("2025-11-25T09:00:00Z", "PAYMENT THANK YOU", 180.4, "CREDIT"),
        Row(
            "2025-12-12T16:45:00Z",
            "CINEMA",
            -28.0,
            "PURCHASE",
            ("Entertainment", "Cinema"),
            "Cinema",
        ),
    ),
    pending=(Row("2025-12-31T12:00:00Z", "GIFT SHOP", -42.0, "PURCHASE", ("Shopping", "Gifts")),),
)

_CHARGE_CARD = Holding(
    kind="card",
    listing={
        "account_id": "card-charge-0002",
        "card_network": "MASTERCARD",
        "card_type": "CHARGE",
        "currency": "EUR",
        "display_name": "Travel Charge Card",
        "partial_card_number": "5555",
        "name_on_card": "A. LOVELACE",
        "valid_from": "2023-06",
        "valid_to": "2027-06",
    },
    balance={
        "available": 5000.0,
        "current": 612.3,
        "credit_limit": 5000.0,
        "last_statement_balance": 388.0,
        "last_statement_date": "2025-12-05T00:00:00Z",
        "payment_due": 388.0,
        "payment_due_date": "2025-12-28T00:00:00Z",
    },
    settled=(
        Row("2025-11-02T07:15:00Z", "AIRLINE", -388.0, "PURCHASE", ("Travel", "Flights")),
        Row("2025-12-27T08:00:00Z", "PAYMENT RECEIVED", 388.0, "CREDIT"),
        Row("2025-12-29T20:00:00Z", "HOTEL", -612.3, "PURCHASE", ("Travel", "Hotels")),
    ),
)

ACCOUNTS: tuple[Holding, ...] = (_CURRENT, _SAVINGS, _BUSINESS)
CARDS: tuple[Holding, ...] = (_CREDIT_CARD, _CHARGE_CARD)
PENDING = {h.id: h.pending for h in (*ACCOUNTS, *CARDS)}

# Standing orders and direct debits, by account id (Open Banking providers only).
STANDING_ORDERS: dict[str, tuple[dict[str, Any], ...]] = {
    "acc-current-0001": (
        {
            "frequency": "IntrvlMnthDay:01:10",
            "status": "Active",
            "timestamp": "2025-12-10T12:00:00Z",
            "currency": "GBP",
            "next_payment_date": "2026-01-10T00:00:00Z",
            "next_payment_amount": 1100.0,
            "first_payment_date": "2024-02-10T00:00:00Z",
            "first_payment_amount": 1100.0,
            "reference": "FLAT 3 RENT",
            "payee": "Square Lettings",
            "meta": {"provider_account_id": "acc-current-0001"},
        },
        {
            "frequency": "EvryWeek",
            "status": "Active",
            "timestamp": "2025-12-29T09:00:00Z",
            "currency": "GBP",
            "next_payment_date": "2026-01-05T00:00:00Z",
            "next_payment_amount": 50.0,
            "first_payment_date": "2025-01-06T00:00:00Z",
            "first_payment_amount": 50.0,
            "final_payment_date": "2026-12-28T00:00:00Z",
            "final_payment_amount": 50.0,
            "reference": "SAVINGS",
            "payee": "A Lovelace",
            "meta": {"provider_account_id": "acc-current-0001"},
        },
    ),
}

DIRECT_DEBITS: dict[str, tuple[dict[str, Any], ...]] = {
    "acc-current-0001": (
        {
            "direct_debit_id": "dd-energy-0001",
            "timestamp": "2025-11-21T08:30:00Z",
            "name": "NORTHERN ENERGY",
            "status": "Active",
            "previous_payment_timestamp": "2025-11-21T08:30:00Z",
            "previous_payment_amount": 82.4,
            "currency": "GBP",
            "meta": {
                "provider_mandate_identification": "NE-448812",
                "provider_account_id": "acc-current-0001",
            },
        },
        {
            "direct_debit_id": "dd-phone-0002",
            "timestamp": "2024-03-01T00:00:00Z",
            "name": "MOBILE CO",
            "status": "Inactive",
            "previous_payment_timestamp": "2025-06-01T00:00:00Z",
            "previous_payment_amount": 18.0,
            "currency": "GBP",
            "meta": {
                "provider_mandate_identification": "MC-10293",
                "provider_account_id": "acc-current-0001",
            },
        },
    ),
}


def holding(kind: str, holding_id: str) -> Holding | None:
    """The account (``kind="account"``) or card with this id, or None."""
    found = ACCOUNTS if kind == "account" else CARDS
    return next((h for h in found if h.id == holding_id), None)
