"""TrueLayer's Data API v1 as its reference pages document it: endpoints, scopes, shapes.

Transcribed by hand from TrueLayer's pages (the scopes table, the account and card data
requests, asynchronous calls and webhooks), independently of both the sandbox and the
client, so that the conformance test can hold each of them to the same document. No
tests here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# JSON types: "string", "number", "datetime" (an ISO 8601 string), "strings" (an array of
# strings), "object" (a free-form object), or a nested Shape (one object, or an array of
# them when `many`).


@dataclass(frozen=True)
class Field:
    type: str | Shape
    required: bool = False
    many: bool = False  # an array of `type`


@dataclass(frozen=True)
class Shape:
    name: str
    fields: dict[str, Field] = field(default_factory=dict)


def _req(kind: str | Shape) -> Field:
    return Field(kind, required=True)


def _opt(kind: str | Shape, *, many: bool = False) -> Field:
    return Field(kind, many=many)


PROVIDER = Shape(
    "Provider",
    {"provider_id": _req("string"), "display_name": _opt("string"), "logo_uri": _opt("string")},
)
ADDRESS = Shape(
    "Address", {k: _opt("string") for k in ("address", "city", "state", "zip", "country")}
)
ACCOUNT_NUMBER = Shape(
    "AccountNumber",
    {k: _opt("string") for k in ("iban", "swift_bic", "number", "sort_code", "bsb")},
)
RUNNING_BALANCE = Shape("RunningBalance", {"amount": _req("number"), "currency": _req("string")})

ME = Shape(
    "Me",
    {
        "client_id": _req("string"),
        "credentials_id": _req("string"),
        "consent_status": _opt("string"),
        "consent_status_updated_at": _opt("datetime"),
        "consent_created_at": _opt("datetime"),
        "consent_expires_at": _opt("datetime"),
        "provider": _opt(PROVIDER),
        "scopes": _opt("strings"),
        "privacy_policy": _opt("string"),
    },
)
INFO = Shape(
    "Info",
    {
        "full_name": _req("string"),
        "update_timestamp": _req("datetime"),
        "date_of_birth": _opt("datetime"),
        "addresses": _opt(ADDRESS, many=True),
        "emails": _opt("strings"),
        "phones": _opt("strings"),
    },
)
ACCOUNT = Shape(
    "Account",
    {
        "account_id": _req("string"),
        "account_type": _req("string"),
        "display_name": _req("string"),
        "currency": _req("string"),
        "update_timestamp": _req("datetime"),
        "account_number": _opt(ACCOUNT_NUMBER),
        "provider": _opt(PROVIDER),
    },
)
BALANCE = Shape(
    "Balance",
    {
        "currency": _req("string"),
        "current": _req("number"),
        "update_timestamp": _req("datetime"),
        "available": _opt("number"),
        "overdraft": _opt("number"),
    },
)
_TRANSACTION = {
    "transaction_id": _req("string"),
    "timestamp": _req("datetime"),
    "description": _req("string"),
    "amount": _req("number"),
    "currency": _req("string"),
    "transaction_type": _req("string"),
    "transaction_category": _req("string"),
    "transaction_classification": _opt("strings"),
    "merchant_name": _opt("string"),
    "meta": _opt("object"),
}
TRANSACTION = Shape("Transaction", {**_TRANSACTION, "running_balance": _opt(RUNNING_BALANCE)})
PENDING_TRANSACTION = Shape("PendingTransaction", _TRANSACTION)
STANDING_ORDER = Shape(
    "StandingOrder",
    {
        "frequency": _req("string"),
        "status": _req("string"),
        "timestamp": _req("datetime"),
        "currency": _req("string"),
        "next_payment_date": _opt("datetime"),
        "next_payment_amount": _opt("number"),
        "first_payment_date": _opt("datetime"),
        "first_payment_amount": _opt("number"),
        "final_payment_date": _opt("datetime"),
        "final_payment_amount": _opt("number"),
        "reference": _opt("string"),
        "payee": _opt("string"),
        "meta": _opt("object"),
    },
)
DIRECT_DEBIT = Shape(
    "DirectDebit",
    {
        "direct_debit_id": _req("string"),
        "timestamp": _req("datetime"),
        "name": _req("string"),
        "status": _req("string"),
        "currency": _opt("string"),
        "previous_payment_timestamp": _opt("datetime"),
        "previous_payment_amount": _opt("number"),
        "meta": _opt("object"),
    },
)
CARD = Shape(
    "Card",
    {
        "account_id": _req("string"),
        "card_network": _req("string"),
        "card_type": _req("string"),
        "currency": _req("string"),
        "display_name": _req("string"),
        "update_timestamp": _req("datetime"),
        "partial_card_number": _opt("string"),
        "name_on_card": _opt("string"),
        "valid_from": _opt("string"),
        "valid_to": _opt("string"),
        "provider": _opt(PROVIDER),
    },
)
CARD_BALANCE = Shape(
    "CardBalance",
    {
        "currency": _req("string"),
        "current": _req("number"),
        "update_timestamp": _req("datetime"),
        "available": _opt("number"),
        "credit_limit": _opt("number"),
        "last_statement_balance": _opt("number"),
        "last_statement_date": _opt("datetime"),
        "payment_due": _opt("number"),
        "payment_due_date": _opt("datetime"),
    },
)
QUEUED = Shape(
    "Queued",
    {"results_uri": _req("string"), "status": _req("string"), "task_id": _req("string")},
)
WEBHOOK = Shape(
    "Webhook",
    {
        "request_timestamp": _opt("datetime"),
        "request_uri": _opt("string"),
        "credentials_id": _opt("string"),
        "task_id": _req("string"),
        "status": _req("string"),
        "results_uri": _opt("string"),
        "error": _opt("string"),
        "error_description": _opt("string"),
    },
)
ERROR = Shape(
    "Error",
    {
        "error": _req("string"),
        "error_description": _req("string"),
        "error_details": Field("object", required=True),
    },
)


@dataclass(frozen=True)
class Endpoint:
    name: str  # the client's method
    path: str
    scopes: tuple[str, ...]
    shape: Shape
    many: bool = True


_A, _C = "/data/v1/accounts/{account_id}", "/data/v1/cards/{card_id}"

# The scopes table, endpoint by endpoint.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("me", "/data/v1/me", (), ME),
    Endpoint("info", "/data/v1/info", ("info",), INFO),
    Endpoint("accounts", "/data/v1/accounts", ("accounts",), ACCOUNT),
    Endpoint("account", _A, ("accounts",), ACCOUNT, many=False),
    Endpoint("balance", f"{_A}/balance", ("accounts", "balance"), BALANCE, many=False),
    Endpoint("transactions", f"{_A}/transactions", ("accounts", "transactions"), TRANSACTION),
    Endpoint(
        "pending_transactions",
        f"{_A}/transactions/pending",
        ("accounts", "transactions"),
        PENDING_TRANSACTION,
    ),
    Endpoint("standing_orders", f"{_A}/standing_orders", ("standing_orders",), STANDING_ORDER),
    Endpoint("direct_debits", f"{_A}/direct_debits", ("direct_debits",), DIRECT_DEBIT),
    Endpoint("cards", "/data/v1/cards", ("cards",), CARD),
    Endpoint("card", _C, ("cards",), CARD, many=False),
    Endpoint("card_balance", f"{_C}/balance", ("cards", "balance"), CARD_BALANCE, many=False),
    Endpoint("card_transactions", f"{_C}/transactions", ("cards", "transactions"), TRANSACTION),
    Endpoint(
        "card_pending_transactions",
        f"{_C}/transactions/pending",
        ("cards", "transactions"),
        PENDING_TRANSACTION,
    ),
)


def _type_problem(value: Any, kind: str) -> bool:
    if kind == "string":
        return not isinstance(value, str)
    if kind == "number":
        return isinstance(value, bool) or not isinstance(value, int | float)
    if kind == "datetime":
        if not isinstance(value, str):
            return True
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return True
        return False
    if kind == "strings":
        return not isinstance(value, list) or not all(isinstance(v, str) for v in value)
    if kind == "object":
        return not isinstance(value, dict)
    raise AssertionError(f"unknown documented type {kind}")


def problems(value: Any, shape: Shape, path: str = "$") -> list[str]:
    """Every way ``value`` differs from ``shape``: missing, undocumented, mistyped fields."""
    if not isinstance(value, dict):
        return [f"{path}: not an object"]
    found: list[str] = []
    for name in value.keys() - shape.fields.keys():
        found.append(f"{path}.{name}: not documented for {shape.name}")
    for name, spec in shape.fields.items():
        where = f"{path}.{name}"
        if name not in value:
            if spec.required:
                found.append(f"{where}: required by {shape.name}, missing")
            continue
        item = value[name]
        if isinstance(spec.type, Shape):
            items = item if spec.many else [item]
            if spec.many and not isinstance(item, list):
                found.append(f"{where}: not an array")
                continue
            for index, element in enumerate(items):
                found += problems(element, spec.type, f"{where}[{index}]" if spec.many else where)
        elif _type_problem(item, spec.type):
            found.append(f"{where}: not a {spec.type}")
    return found
