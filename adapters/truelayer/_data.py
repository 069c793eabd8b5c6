"""The Data API v1 as the client knows it: every endpoint, its scopes, its typed answer.

Theory of operation: ``DATA_ENDPOINTS`` lists each ``GET`` once (path template, the
scopes TrueLayer's scopes table asks for, the model of its results). ``Data`` builds a
``DataQuery`` for one of them: the concrete path, the query string and the parser of
``{"results": [...], "status": "Succeeded"}`` into models (one cattrs converter,
``_convert``). The same query can be sent at once, or queued with ``async=true``: the
answer is then an ``AsyncTask`` naming the task, and ``Requests.results`` fetches its
outcome from ``/data/v1/results/{task_id}``, parsed by the same query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

import cattrs
from attrs import field, frozen

from ._call import Call
from ._convert import describe, structure
from ._errors import MalformedResponse, TaskPending
from ._models import (
    Account,
    Balance,
    Card,
    CardBalance,
    DirectDebit,
    Info,
    PendingTransaction,
    StandingOrder,
    Transaction,
)
from ._parse import _object, consents
from ._results import Consent

if TYPE_CHECKING:
    from ._protocol import Answer

__all__ = [
    "DATA_ENDPOINTS",
    "AsyncTask",
    "Data",
    "DataEndpoint",
    "DataQuery",
    "queued",
    "segment",
]

T = TypeVar("T")


@frozen
class DataEndpoint:
    """One ``GET`` of the Data API v1.

    Attributes:
        name: the client's method for it (``TrueLayerClient.<name>``).
        path: the path template, e.g. ``/data/v1/accounts/{account_id}/balance``.
        scopes: the scopes it needs, from TrueLayer's scopes table.
        model: the class of each result (``None`` for ``/me``: ``Consent``).
        many: whether the answer is a tuple of results rather than exactly one.
        dated: whether it takes ``from``/``to``.
    """

    name: str
    path: str
    scopes: tuple[str, ...]
    model: type | None
    many: bool = True
    dated: bool = False


_A, _C = "/data/v1/accounts/{account_id}", "/data/v1/cards/{card_id}"

DATA_ENDPOINTS: tuple[DataEndpoint, ...] = (
    DataEndpoint("me", "/data/v1/me", (), None),
    DataEndpoint("info", "/data/v1/info", ("info",), Info),
    DataEndpoint("accounts", "/data/v1/accounts", ("accounts",), Account),
    DataEndpoint("account", _A, ("accounts",), Account, many=False),
    DataEndpoint("balance", f"{_A}/balance", ("accounts", "balance"), Balance, many=False),
    DataEndpoint(
        "transactions", f"{_A}/transactions", ("accounts", "transactions"), Transaction, dated=True
    ),
    DataEndpoint(
        "pending_transactions",
        f"{_A}/transactions/pending",
        ("accounts", "transactions"),
        PendingTransaction,
    ),
    DataEndpoint("standing_orders", f"{_A}/standing_orders", ("standing_orders",), StandingOrder),
    DataEndpoint("direct_debits", f"{_A}/direct_debits", ("direct_debits",), DirectDebit),
    DataEndpoint("cards", "/data/v1/cards", ("cards",), Card),
    DataEndpoint("card", _C, ("cards",), Card, many=False),
    DataEndpoint("card_balance", f"{_C}/balance", ("cards", "balance"), CardBalance, many=False),
    DataEndpoint(
        "card_transactions",
        f"{_C}/transactions",
        ("cards", "transactions"),
        Transaction,
        dated=True,
    ),
    DataEndpoint(
        "card_pending_transactions",
        f"{_C}/transactions/pending",
        ("cards", "transactions"),
        PendingTransaction,
    ),
)
_BY_NAME = {endpoint.name: endpoint for endpoint in DATA_ENDPOINTS}


def segment(value: str, name: str = "account_id") -> str:
    """``value`` as one path segment: '/' or '..' cannot reach another endpoint.

    Raises:
        ValueError: it is empty, ``.`` or ``..``.
    """
    if not isinstance(value, str) or not value or value in (".", ".."):
        raise ValueError(f"{name} must be a non-empty id")
    return quote(value, safe="")


def _results(answer: Answer) -> list[Any]:
    found = _object(Call.DATA, answer).get("results")
    if not isinstance(found, list):
        raise MalformedResponse(Call.DATA, status=answer.status, detail="results is not a list")
    return found


def _parser(endpoint: DataEndpoint) -> Callable[[Answer], Any]:
    model = endpoint.model
    if model is None:
        return consents

    def parse(answer: Answer) -> Any:
        found = _results(answer)
        if not endpoint.many and len(found) != 1:
            raise MalformedResponse(
                Call.DATA, status=answer.status, detail="expected exactly one result"
            )
        try:
            made: tuple[Any, ...] = tuple(structure(item, model) for item in found)
        except (cattrs.BaseValidationError, TypeError, ValueError) as error:
            detail = f"{endpoint.name}: {describe(error)}"
            raise MalformedResponse(Call.DATA, status=answer.status, detail=detail) from None
        return made if endpoint.many else made[0]

    return parse


@frozen
class DataQuery(Generic[T]):
    """One Data API read, ready to send at once or to queue (``async=true``).

    Build it with ``Data``; ``parse`` turns the answer into ``T``.
    """

    endpoint: DataEndpoint = field(repr=False)
    path: str
    parse: Callable[[Answer], T] = field(repr=False, eq=False)
    query: Mapping[str, str] = field(factory=dict)


def _iso(name: str, argument: str, moment: datetime | None) -> dict[str, str]:
    if moment is None:
        return {}
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{argument} ('{name}') must be a timezone-aware datetime")
    return {name: moment.isoformat()}


def _query(
    name: str,
    ident: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> DataQuery[Any]:
    endpoint = _BY_NAME[name]
    path = endpoint.path
    if ident is not None:
        key = "card_id" if "{card_id}" in path else "account_id"
        path = path.replace(f"{{{key}}}", segment(ident, key))
    window = {**_iso("from", "since", since), **_iso("to", "until", until)}
    if since is not None and until is not None and since > until:
        raise ValueError("since must not be after until (TrueLayer: invalid_date_range)")
    return DataQuery(endpoint, path, _parser(endpoint), window)


class Data:
    """Builders of ``DataQuery``, one per endpoint of ``DATA_ENDPOINTS``.

    Each raises ``ValueError`` for an empty id, and for ``since``/``until`` that are
    naive or in the wrong order.
    """

    @staticmethod
    def me() -> DataQuery[tuple[Consent, ...]]:
        """``/data/v1/me`` (R10; no scope beyond a valid token)."""
        return _query("me")

    @staticmethod
    def info() -> DataQuery[tuple[Info, ...]]:
        """``/data/v1/info`` (scope ``info``)."""
        return _query("info")

    @staticmethod
    def accounts() -> DataQuery[tuple[Account, ...]]:
        """``/data/v1/accounts`` (scope ``accounts``)."""
        return _query("accounts")

    @staticmethod
    def account(account_id: str) -> DataQuery[Account]:
        """``/data/v1/accounts/{account_id}`` (scope ``accounts``)."""
        return _query("account", account_id)

    @staticmethod
    def balance(account_id: str) -> DataQuery[Balance]:
        """``.../{account_id}/balance`` (scopes ``accounts balance``)."""
        return _query("balance", account_id)

    @staticmethod
    def transactions(
        account_id: str, since: datetime | None = None, until: datetime | None = None
    ) -> DataQuery[tuple[Transaction, ...]]:
        """``.../{account_id}/transactions`` from ``since`` to ``until`` (inclusive)."""
        return _query("transactions", account_id, since, until)

    @staticmethod
    def pending_transactions(account_id: str) -> DataQuery[tuple[PendingTransaction, ...]]:
        """``.../{account_id}/transactions/pending`` (scopes ``accounts transactions``)."""
        return _query("pending_transactions", account_id)

    @staticmethod
    def standing_orders(account_id: str) -> DataQuery[tuple[StandingOrder, ...]]:
        """``.../{account_id}/standing_orders`` (scope ``standing_orders``)."""
        return _query("standing_orders", account_id)

    @staticmethod
    def direct_debits(account_id: str) -> DataQuery[tuple[DirectDebit, ...]]:
        """``.../{account_id}/direct_debits`` (scope ``direct_debits``)."""
        return _query("direct_debits", account_id)

    @staticmethod
    def cards() -> DataQuery[tuple[Card, ...]]:
        """``/data/v1/cards`` (scope ``cards``)."""
        return _query("cards")

    @staticmethod
    def card(card_id: str) -> DataQuery[Card]:
        """``/data/v1/cards/{card_id}`` (scope ``cards``)."""
        return _query("card", card_id)

    @staticmethod
    def card_balance(card_id: str) -> DataQuery[CardBalance]:
        """``.../{card_id}/balance`` (scopes ``cards balance``)."""
        return _query("card_balance", card_id)

    @staticmethod
    def card_transactions(
        card_id: str, since: datetime | None = None, until: datetime | None = None
    ) -> DataQuery[tuple[Transaction, ...]]:
        """``.../{card_id}/transactions`` from ``since`` to ``until`` (inclusive)."""
        return _query("card_transactions", card_id, since, until)

    @staticmethod
    def card_pending_transactions(card_id: str) -> DataQuery[tuple[PendingTransaction, ...]]:
        """``.../{card_id}/transactions/pending`` (scopes ``cards transactions``)."""
        return _query("card_pending_transactions", card_id)


@frozen
class AsyncTask(Generic[T]):
    """A queued call (``async=true``): fetch its outcome with ``results(task)``.

    Attributes:
        task_id: TrueLayer's id of the task; the webhook names it too.
        status: ``Queued`` when answered; the webhook says when it is done.
        results_uri: where TrueLayer says the outcome is. The client fetches
            ``{api_url}/data/v1/results/{task_id}`` instead, so the access token is never
            sent to a URL taken from an answer.
        query: the query queued; it parses the outcome.
    """

    task_id: str
    status: str
    results_uri: str
    query: DataQuery[T] = field(repr=False, eq=False)

    def parse_results(self, answer: Answer) -> T:
        """The outcome of the task, from the results endpoint's answer.

        Raises:
            TaskPending: the task is still queued or running.
            TrueLayerError: the task failed (its error), or the answer is malformed.
        """
        payload = _object(Call.DATA, answer)
        if "results" not in payload:
            status = payload.get("status")
            if status in ("Queued", "Running"):
                raise TaskPending(Call.DATA, status=answer.status, detail=f"the task is {status}")
            raise MalformedResponse(
                Call.DATA, status=answer.status, detail="a results answer without results"
            )
        return self.query.parse(answer)


def queued(query: DataQuery[T], answer: Answer) -> AsyncTask[T]:
    """Parse the answer to an ``async=true`` call: ``{results_uri, status, task_id}``.

    Raises:
        TrueLayerError: an error answer, or a malformed one.
    """
    payload = _object(Call.DATA, answer)
    values = [payload.get(key) for key in ("task_id", "status", "results_uri")]
    if not all(isinstance(value, str) and value for value in values):
        detail = "a queued call needs task_id, status and results_uri"
        raise MalformedResponse(Call.DATA, status=answer.status, detail=detail)
    task_id, status, results_uri = (str(value) for value in values)
    segment(task_id, "task_id")
    return AsyncTask(task_id, status, results_uri, query)
