"""What the Data API v1 answers, as frozen attrs classes (R11).

Field names are TrueLayer's, as its Data API reference pages write them. Amounts are
``Decimal`` (TrueLayer sends JSON numbers; money is never a binary float here), times are
timezone-aware ``datetime`` (a time sent without an offset is read as UTC). A field that
TrueLayer adds later is not an error: every class keeps what it does not name in
``extra``, so nothing is lost and nothing breaks. All are built by one converter
(``_convert``). Personal data (names, addresses, account numbers) stays out of ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import field, frozen

__all__ = [
    "Account",
    "AccountNumber",
    "Address",
    "Balance",
    "Card",
    "CardBalance",
    "DirectDebit",
    "Info",
    "PendingTransaction",
    "Provider",
    "RunningBalance",
    "StandingOrder",
    "Transaction",
]


def _extra() -> Any:
    # Every model's last field: what TrueLayer sent that the model does not name.
    return field(factory=dict, repr=False, kw_only=True)


@frozen(kw_only=True)
class Provider:
    """The bank behind an account or card."""

    provider_id: str
    display_name: str | None = None
    logo_uri: str | None = None
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class Address:
    """One postal address of the account holder (``/info``)."""

    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class Info:
    """``/data/v1/info``: the account holder's identity as the bank holds it."""

    full_name: str = field(repr=False)
    update_timestamp: datetime
    date_of_birth: datetime | None = field(default=None, repr=False)
    addresses: tuple[Address, ...] = field(default=(), repr=False)
    emails: tuple[str, ...] = field(default=(), repr=False)
    phones: tuple[str, ...] = field(default=(), repr=False)
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class AccountNumber:
    """How an account is addressed: IBAN and BIC, UK number and sort code, AU BSB."""

    iban: str | None = field(default=None, repr=False)
    swift_bic: str | None = None
    number: str | None = field(default=None, repr=False)
    sort_code: str | None = field(default=None, repr=False)
    bsb: str | None = field(default=None, repr=False)
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class Account:
    """One result of ``/data/v1/accounts`` (or ``/accounts/{id}``)."""

    account_id: str
    account_type: str  # TRANSACTION, SAVINGS, BUSINESS_TRANSACTION, BUSINESS_SAVINGS
    display_name: str
    currency: str
    update_timestamp: datetime
    account_number: AccountNumber | None = None
    provider: Provider | None = None
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class Balance:
    """``/data/v1/accounts/{id}/balance``."""

    currency: str
    current: Decimal
    update_timestamp: datetime
    available: Decimal | None = None
    overdraft: Decimal | None = None
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class Card:
    """One result of ``/data/v1/cards`` (or ``/cards/{id}``)."""

    account_id: str
    card_network: str  # e.g. VISA, MASTERCARD
    card_type: str  # e.g. CREDIT, CHARGE
    currency: str
    display_name: str
    update_timestamp: datetime
    partial_card_number: str | None = None
    name_on_card: str | None = field(default=None, repr=False)
    valid_from: str | None = None  # "YYYY-MM"
    valid_to: str | None = None
    provider: Provider | None = None
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class CardBalance:
    """``/data/v1/cards/{id}/balance``."""

    currency: str
    current: Decimal
    update_timestamp: datetime
    available: Decimal | None = None
    credit_limit: Decimal | None = None
    last_statement_balance: Decimal | None = None
    last_statement_date: datetime | None = None
    payment_due: Decimal | None = None
    payment_due_date: datetime | None = None
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class RunningBalance:
    """The balance after a settled transaction (needs the ``balance`` scope)."""

    amount: Decimal
    currency: str
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class Transaction:
    """One settled transaction of an account or a card."""

    transaction_id: str
    timestamp: datetime
    description: str
    amount: Decimal  # negative: money out
    currency: str
    transaction_type: str  # DEBIT or CREDIT
    transaction_category: str  # e.g. PURCHASE, DIRECT_DEBIT, STANDING_ORDER
    transaction_classification: tuple[str, ...] = ()
    merchant_name: str | None = None
    running_balance: RunningBalance | None = None
    meta: Mapping[str, Any] = field(factory=dict)
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class PendingTransaction:
    """One pending (not yet settled) transaction: no running balance."""

    transaction_id: str
    timestamp: datetime
    description: str
    amount: Decimal
    currency: str
    transaction_type: str
    transaction_category: str
    transaction_classification: tuple[str, ...] = ()
    merchant_name: str | None = None
    meta: Mapping[str, Any] = field(factory=dict)
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class StandingOrder:
    """One standing order of an account (Open Banking providers only)."""

    frequency: str  # ISO 20022-style, e.g. EvryWeek, IntrvlMnthDay:01:10
    status: str
    timestamp: datetime
    currency: str
    next_payment_date: datetime | None = None
    next_payment_amount: Decimal | None = None
    first_payment_date: datetime | None = None
    first_payment_amount: Decimal | None = None
    final_payment_date: datetime | None = None
    final_payment_amount: Decimal | None = None
    reference: str | None = None
    payee: str | None = None
    meta: Mapping[str, Any] = field(factory=dict)
    extra: Mapping[str, Any] = _extra()


@frozen(kw_only=True)
class DirectDebit:
    """One direct debit mandate of an account (Open Banking providers only)."""

    direct_debit_id: str
    timestamp: datetime
    name: str
    status: str
    currency: str | None = None
    previous_payment_timestamp: datetime | None = None
    previous_payment_amount: Decimal | None = None
    meta: Mapping[str, Any] = field(factory=dict)
    extra: Mapping[str, Any] = _extra()
