"""The answers of the accounts and cards endpoints, and ``/info`` (R11).

Accounts and cards have the same family of endpoints (a list, one, its balance, its
settled and pending transactions); each answer here takes the ``kind`` it serves. An
unknown id answers 404 ``account_not_found`` or ``card_not_found``. Settled transactions
honour ``from`` and ``to`` (ISO 8601 dates or times, inclusive; a time without an offset
is UTC): ``from`` after ``to`` answers 400 ``invalid_date_range``, an unreadable one 400
``validation_error``. ``running_balance`` is only shown with the ``balance`` scope.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.sandbox import _bank as bank
from adapters.sandbox import _catalogue as catalogue
from adapters.sandbox._gate import Context, data_error, envelope
from adapters.sandbox._http import Response

__all__ = [
    "balance",
    "direct_debits",
    "info",
    "listing",
    "one",
    "pending",
    "standing_orders",
    "transactions",
]

_ID = {"account": "account_id", "card": "card_id"}


def _provider(ctx: Context) -> dict[str, str]:
    p = catalogue.provider(ctx.connection.provider_id)
    return {"display_name": p.display_name, "provider_id": p.provider_id, "logo_uri": p.logo_uri}


def _shown(ctx: Context, holding: bank.Holding) -> dict[str, Any]:
    return {**holding.listing, "provider": _provider(ctx), "update_timestamp": ctx.updated}


def _find(ctx: Context, kind: str) -> bank.Holding | Response:
    found = bank.holding(kind, ctx.req.path_params[_ID[kind]])
    if found is None:
        return data_error(404, f"{kind}_not_found", f"no {kind} with this id")
    return found


def info(ctx: Context) -> Response:
    """``GET /data/v1/info``: the account holder's identity."""
    return envelope([{**bank.INFO, "update_timestamp": ctx.updated}])


def listing(kind: str, ctx: Context) -> Response:
    """``GET /data/v1/accounts`` or ``/data/v1/cards``."""
    holdings = bank.ACCOUNTS if kind == "account" else bank.CARDS
    return envelope([_shown(ctx, h) for h in holdings])


def one(kind: str, ctx: Context) -> Response:
    """``GET /data/v1/accounts/{account_id}`` or ``/data/v1/cards/{card_id}``."""
    found = _find(ctx, kind)
    return found if isinstance(found, Response) else envelope([_shown(ctx, found)])


def balance(kind: str, ctx: Context) -> Response:
    """``GET .../{id}/balance``."""
    found = _find(ctx, kind)
    if isinstance(found, Response):
        return found
    return envelope(
        [{"currency": found.currency, **found.balance, "update_timestamp": ctx.updated}]
    )


def _moment(text: str) -> datetime:
    """A ``from``/``to`` value (Python 3.11 reads dates, ``Z`` and offsets).

    Raises:
        ValueError: not ISO 8601.
    """
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _window(ctx: Context) -> tuple[datetime | None, datetime | None] | Response:
    bounds: dict[str, datetime | None] = {}
    for name in ("from", "to"):
        text = ctx.req.query.get(name)
        try:
            bounds[name] = _moment(text) if text else None
        except ValueError:
            return data_error(400, "validation_error", f"'{name}' is not an ISO 8601 date or time")
    since, until = bounds["from"], bounds["to"]
    if since is not None and until is not None and since > until:
        return data_error(400, "invalid_date_range", "'from' is after 'to'")
    return since, until


def _row(holding: bank.Holding, row: bank.Row, transaction_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "transaction_id": transaction_id,
        "timestamp": row.timestamp,
        "description": row.description,
        "amount": row.amount,
        "currency": holding.currency,
        "transaction_type": "CREDIT" if row.amount > 0 else "DEBIT",
        "transaction_category": row.category,
        "transaction_classification": list(row.classification),
        "meta": {"provider_transaction_category": row.category.lower()},
    }
    if row.merchant is not None:
        shown["merchant_name"] = row.merchant
    return shown


def transactions(kind: str, ctx: Context) -> Response:
    """``GET .../{id}/transactions``, filtered by ``from``/``to``, newest last."""
    found = _find(ctx, kind)
    if isinstance(found, Response):
        return found
    window = _window(ctx)
    if isinstance(window, Response):
        return window
    since, until = window
    # Running balances are derived backwards from the current balance: the newest row
    # shows it, whatever the filter keeps.
    running = float(found.balance["current"]) - sum(row.amount for row in found.settled)
    shown: list[dict[str, Any]] = []
    for index, row in enumerate(found.settled, start=1):
        running = round(running + row.amount, 2)
        moment = _moment(row.timestamp)
        if (since is not None and moment < since) or (until is not None and moment > until):
            continue
        result = _row(found, row, f"{found.id}-tx-{index:03d}")
        if "balance" in ctx.scopes:  # scopes table: transactions + balance
            result["running_balance"] = {"amount": running, "currency": found.currency}
        shown.append(result)
    return envelope(shown)


def pending(kind: str, ctx: Context) -> Response:
    """``GET .../{id}/transactions/pending``: not yet settled, so no running balance."""
    found = _find(ctx, kind)
    if isinstance(found, Response):
        return found
    rows = bank.PENDING[found.id]
    return envelope(
        [_row(found, row, f"{found.id}-pending-{i:03d}") for i, row in enumerate(rows, 1)]
    )


def standing_orders(ctx: Context) -> Response:
    """``GET /data/v1/accounts/{account_id}/standing_orders``."""
    found = _find(ctx, "account")
    if isinstance(found, Response):
        return found
    return envelope([dict(order) for order in bank.STANDING_ORDERS.get(found.id, ())])


def direct_debits(ctx: Context) -> Response:
    """``GET /data/v1/accounts/{account_id}/direct_debits``."""
    found = _find(ctx, "account")
    if isinstance(found, Response):
        return found
    return envelope([dict(debit) for debit in bank.DIRECT_DEBITS.get(found.id, ())])
