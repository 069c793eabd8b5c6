"""The Data API v1 the sandbox serves: every endpoint, its path and its scopes, as data.

The scopes are TrueLayer's scopes table, read endpoint by endpoint: ``info`` for
``/info``; ``accounts`` for the accounts, plus ``balance`` for a balance and plus
``transactions`` for transactions; the same with ``cards`` for cards; ``direct_debits``
and ``standing_orders`` for those lists; ``/me`` needs none beyond a valid token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

from adapters.sandbox import _data as data
from adapters.sandbox import _holdings as holdings
from adapters.sandbox._gate import Answer, serve
from adapters.sandbox._http import Request, Response
from adapters.sandbox._state import SandboxState

__all__ = ["ENDPOINTS", "Endpoint"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One ``GET`` of the Data API: its path template, its scopes, its answer."""

    path: str  # e.g. "/data/v1/accounts/{account_id}/balance"
    scopes: tuple[str, ...]
    answer: Answer

    def handle(self, state: SandboxState, req: Request) -> Response:
        """The WSGI app's handler: the gate, then the answer."""
        return serve(state, req, self.scopes, self.answer)

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path as a regular expression, one segment per ``{name}``."""
        return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path))


_A, _C = "/data/v1/accounts/{account_id}", "/data/v1/cards/{card_id}"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/data/v1/me", (), data.me),
    Endpoint("/data/v1/info", ("info",), holdings.info),
    Endpoint("/data/v1/accounts", ("accounts",), partial(holdings.listing, "account")),
    Endpoint(_A, ("accounts",), partial(holdings.one, "account")),
    Endpoint(f"{_A}/balance", ("accounts", "balance"), partial(holdings.balance, "account")),
    Endpoint(
        f"{_A}/transactions",
        ("accounts", "transactions"),
        partial(holdings.transactions, "account"),
    ),
    Endpoint(
        f"{_A}/transactions/pending",
        ("accounts", "transactions"),
        partial(holdings.pending, "account"),
    ),
    Endpoint(f"{_A}/standing_orders", ("standing_orders",), holdings.standing_orders),
    Endpoint(f"{_A}/direct_debits", ("direct_debits",), holdings.direct_debits),
    Endpoint("/data/v1/cards", ("cards",), partial(holdings.listing, "card")),
    Endpoint(_C, ("cards",), partial(holdings.one, "card")),
    Endpoint(f"{_C}/balance", ("cards", "balance"), partial(holdings.balance, "card")),
    Endpoint(
        f"{_C}/transactions", ("cards", "transactions"), partial(holdings.transactions, "card")
    ),
    Endpoint(
        f"{_C}/transactions/pending", ("cards", "transactions"), partial(holdings.pending, "card")
    ),
)
