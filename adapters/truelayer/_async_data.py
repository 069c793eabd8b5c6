"""The Data API v1 calls of ``AsyncTrueLayerClient`` (generated alike for both clients).

Each call builds a ``DataQuery`` (``_data.Data``) and sends it through the client's
``_send``; ``queue`` sends the same query with ``async=true`` and ``results`` fetches the
outcome. Nothing here decides: errors carry their ``core_event`` as everywhere else.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import TypeVar

import lifecycle

from ._data import AsyncTask, Data, DataQuery
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
from ._protocol import Operation, Requests

__all__ = ["AsyncDataCalls"]

T = TypeVar("T")


class AsyncDataCalls:
    """Mixin: the Data API calls, for a client with ``_requests`` and ``_send``."""

    _requests: Requests

    def _send(self, operation: Operation[T]) -> Awaitable[T]:
        raise NotImplementedError  # the client's own

    async def info(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> tuple[Info, ...]:
        """``/data/v1/info`` (scope ``info``): the account holder's identity.

        Raises:
            TrueLayerError: e.g. ``InsufficientPermissions`` without the ``info`` scope.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(self._requests.query(Data.info(), access_token, psu_ip))

    async def accounts(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> tuple[Account, ...]:
        """``/data/v1/accounts`` (scope ``accounts``).

        Raises:
            TrueLayerError: e.g. ``InvalidToken``, ``AccessDeniedError``, ``ScaExceeded``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(self._requests.query(Data.accounts(), access_token, psu_ip))

    async def account(
        self, access_token: lifecycle.Secret, account_id: str, *, psu_ip: str | None = None
    ) -> Account:
        """``/data/v1/accounts/{account_id}`` (scope ``accounts``).

        Raises:
            TrueLayerError: e.g. ``AccountNotFound``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(Data.account(account_id), access_token, psu_ip)
        )

    async def balance(
        self, access_token: lifecycle.Secret, account_id: str, *, psu_ip: str | None = None
    ) -> Balance:
        """One account's balance (scopes ``accounts balance``).

        Raises:
            TrueLayerError: e.g. ``AccountNotFound`` for an unknown account.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(Data.balance(account_id), access_token, psu_ip)
        )

    async def transactions(
        self,
        access_token: lifecycle.Secret,
        account_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        psu_ip: str | None = None,
    ) -> tuple[Transaction, ...]:
        """One account's settled transactions, from ``since`` to ``until`` (inclusive).

        Scopes ``accounts transactions``; plus ``balance`` for running balances.

        Raises:
            TrueLayerError: e.g. ``InvalidDateRange``, ``ScaExceeded`` (no lifecycle change).
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(Data.transactions(account_id, since, until), access_token, psu_ip)
        )

    async def pending_transactions(
        self, access_token: lifecycle.Secret, account_id: str, *, psu_ip: str | None = None
    ) -> tuple[PendingTransaction, ...]:
        """One account's pending transactions (scopes ``accounts transactions``).

        Raises:
            TrueLayerError: e.g. ``AccountNotFound``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(Data.pending_transactions(account_id), access_token, psu_ip)
        )

    async def standing_orders(
        self, access_token: lifecycle.Secret, account_id: str, *, psu_ip: str | None = None
    ) -> tuple[StandingOrder, ...]:
        """One account's standing orders (scope ``standing_orders``).

        Raises:
            TrueLayerError: e.g. ``InsufficientPermissions``, ``AccountNotFound``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(Data.standing_orders(account_id), access_token, psu_ip)
        )

    async def direct_debits(
        self, access_token: lifecycle.Secret, account_id: str, *, psu_ip: str | None = None
    ) -> tuple[DirectDebit, ...]:
        """One account's direct debits (scope ``direct_debits``).

        Raises:
            TrueLayerError: e.g. ``InsufficientPermissions``, ``AccountNotFound``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(Data.direct_debits(account_id), access_token, psu_ip)
        )

    async def cards(
        self, access_token: lifecycle.Secret, *, psu_ip: str | None = None
    ) -> tuple[Card, ...]:
        """``/data/v1/cards`` (scope ``cards``).

        Raises:
            TrueLayerError: e.g. ``InsufficientPermissions`` without the ``cards`` scope.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(self._requests.query(Data.cards(), access_token, psu_ip))

    async def card(
        self, access_token: lifecycle.Secret, card_id: str, *, psu_ip: str | None = None
    ) -> Card:
        """``/data/v1/cards/{card_id}`` (scope ``cards``).

        Raises:
            TrueLayerError: e.g. ``CardNotFound``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(self._requests.query(Data.card(card_id), access_token, psu_ip))

    async def card_balance(
        self, access_token: lifecycle.Secret, card_id: str, *, psu_ip: str | None = None
    ) -> CardBalance:
        """One card's balance (scopes ``cards balance``).

        Raises:
            TrueLayerError: e.g. ``CardNotFound``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(Data.card_balance(card_id), access_token, psu_ip)
        )

    async def card_transactions(
        self,
        access_token: lifecycle.Secret,
        card_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        psu_ip: str | None = None,
    ) -> tuple[Transaction, ...]:
        """One card's settled transactions, from ``since`` to ``until`` (inclusive).

        Scopes ``cards transactions``; plus ``balance`` for running balances.

        Raises:
            TrueLayerError: e.g. ``InvalidDateRange``, ``CardNotFound``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(
                Data.card_transactions(card_id, since, until), access_token, psu_ip
            )
        )

    async def card_pending_transactions(
        self, access_token: lifecycle.Secret, card_id: str, *, psu_ip: str | None = None
    ) -> tuple[PendingTransaction, ...]:
        """One card's pending transactions (scopes ``cards transactions``).

        Raises:
            TrueLayerError: e.g. ``CardNotFound``.
            ValueError: an empty id, or a naive or reversed ``since``/``until``.
        """
        return await self._send(
            self._requests.query(Data.card_pending_transactions(card_id), access_token, psu_ip)
        )

    async def queue(
        self,
        access_token: lifecycle.Secret,
        query: DataQuery[T],
        *,
        webhook_uri: str | None = None,
        psu_ip: str | None = None,
    ) -> AsyncTask[T]:
        """Queue ``query`` (``async=true``); TrueLayer POSTs to ``webhook_uri`` when done.

        Example: ``task = client.queue(token, Data.transactions(account_id))``, then on
        the webhook ``client.results(token, task)``.

        Raises:
            TrueLayerError: the call was refused at once (e.g. a missing scope).
            ValueError: ``webhook_uri`` is not an absolute http(s) URI.
        """
        operation = self._requests.queue(query, access_token, psu_ip, webhook_uri)
        return await self._send(operation)

    async def results(
        self, access_token: lifecycle.Secret, task: AsyncTask[T], *, psu_ip: str | None = None
    ) -> T:
        """The outcome of a queued call, parsed as its query's answer.

        Raises:
            TaskPending: not finished yet; wait for the webhook.
            TrueLayerError: the task failed with that error (e.g. ``AccountNotFound``).
        """
        return await self._send(self._requests.results(task, access_token, psu_ip))
