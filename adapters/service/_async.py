"""``AsyncConnections``: the asyncio face of the connection service.

The same plans as ``Connections``; only the steps are performed differently: the
client's calls are awaited, the store's (blocking) calls run in a worker thread, and a
pause sleeps without blocking the loop.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import lifecycle as core
from adapters.stores import ConflictError, HistoryEntry, OutboxEvent, Store
from adapters.truelayer import AsyncTrueLayerClient, ExtendUser, TrueLayerError

from ._face import Face, call_store, perform_store, translate
from ._ops import Call, Now, Op, Pause, Plan
from ._results import Begun, CallbackOutcome, ExtendOutcome, StatusView
from ._status import status_view

__all__ = ["AsyncConnections"]

T = TypeVar("T")


class AsyncConnections:
    """``Connections`` with async faces: the same methods, awaited.

    Args:
        store: as for ``Connections`` (its calls run in a worker thread).
        client: an ``AsyncTrueLayerClient``.
        policy: as for ``Connections``.
        clock: as for ``Connections``.
        lease: as for ``Connections``.
        wait: as for ``Connections``.
    """

    def __init__(
        self,
        *,
        store: Store,
        client: AsyncTrueLayerClient,
        policy: core.Policy | None = None,
        clock: Callable[[], datetime] | None = None,
        lease: timedelta = timedelta(minutes=5),
        wait: float = 35.0,
    ) -> None:
        self.store = store
        self.client = client
        self._face = Face(policy=policy, clock=clock, lease=lease, wait=wait)
        self._flights: dict[str, asyncio.Lock] = {}

    @property
    def policy(self) -> core.Policy:
        """The core's policy the service decides by."""
        return self._face.policy

    def now(self) -> datetime:
        """The service's clock."""
        return self._face.now()

    async def _perform(self, op: Op) -> Any:
        if isinstance(op, Call):
            result = getattr(self.client, op.method)(*op.args, **op.kwargs)
            return await result if inspect.isawaitable(result) else result
        if isinstance(op, Now):
            return self._face.now()
        if isinstance(op, Pause):
            await asyncio.sleep(op.seconds)
            return None
        return await asyncio.to_thread(perform_store, self.store, op)

    async def _run(self, plan: Plan[T], connection_id: str | None = None) -> T:
        value: Any = None
        thrown: BaseException | None = None
        try:
            while True:
                try:
                    op = plan.send(value) if thrown is None else plan.throw(thrown)
                except StopIteration as done:
                    result: T = done.value
                    return result
                value, thrown = None, None
                try:
                    value = await self._perform(op)
                except (ConflictError, TrueLayerError) as error:
                    thrown = error
        except Exception as error:
            translated = translate(error, connection_id)
            if translated is None or translated is error:
                raise
            raise translated from error
        finally:
            plan.close()

    def _flight(self, connection_id: str) -> asyncio.Lock:
        return self._flights.setdefault(connection_id, asyncio.Lock())

    async def begin(
        self, *, region: str, scopes: Iterable[str], providers: str | Iterable[str]
    ) -> Begun:
        """See ``Connections.begin``."""
        return await self._run(self._face.begin_plan(region, scopes, providers))

    async def handle_callback(
        self, query: str | Mapping[str, str], *, connection_id: str | None = None
    ) -> CallbackOutcome:
        """See ``Connections.handle_callback``."""
        return await self._run(self._face.callback_plan(query, connection_id), connection_id)

    async def access_token(self, connection_id: str) -> core.Secret:
        """See ``Connections.access_token``."""
        async with self._flight(connection_id):
            return await self._run(self._face.plans.access_token(connection_id), connection_id)

    async def refresh(self, connection_id: str) -> core.Secret:
        """See ``Connections.refresh``."""
        async with self._flight(connection_id):
            return await self._run(self._face.plans.refresh(connection_id), connection_id)

    async def _data(self, connection_id: str, method: str, *args: Any, **kwargs: Any) -> Any:
        await self.access_token(connection_id)
        plan = self._face.data_plan(connection_id, method, args, kwargs)
        return await self._run(plan, connection_id)

    async def info(self, connection_id: str, **options: Any) -> Any:
        """See ``Connections.info``."""
        return await self._data(connection_id, "info", **options)

    async def accounts(self, connection_id: str, **options: Any) -> Any:
        """See ``Connections.accounts``."""
        return await self._data(connection_id, "accounts", **options)

    async def account(self, connection_id: str, account_id: str, **options: Any) -> Any:
        """See ``Connections.account``."""
        return await self._data(connection_id, "account", account_id, **options)

    async def balance(self, connection_id: str, account_id: str, **options: Any) -> Any:
        """See ``Connections.balance``."""
        return await self._data(connection_id, "balance", account_id, **options)

    async def transactions(self, connection_id: str, account_id: str, **options: Any) -> Any:
        """See ``Connections.transactions``."""
        return await self._data(connection_id, "transactions", account_id, **options)

    async def data(self, connection_id: str, method: str, *args: Any, **options: Any) -> Any:
        """See ``Connections.data``."""
        return await self._data(connection_id, method, *args, **options)

    async def me(self, connection_id: str) -> Any:
        """See ``Connections.me``."""
        return await self._data(connection_id, "me")

    async def reconfirm(self, connection_id: str, *, evidence: str) -> None:
        """See ``Connections.reconfirm``."""
        await self._run(self._face.reconfirm_plan(connection_id, evidence), connection_id)

    async def extend(self, connection_id: str, *, user: ExtendUser) -> ExtendOutcome:
        """See ``Connections.extend``."""
        return await self._run(self._face.extend_plan(connection_id, user), connection_id)

    async def revoke(self, connection_id: str) -> None:
        """See ``Connections.revoke``."""
        async with self._flight(connection_id):
            await self._run(self._face.plans.revoke(connection_id), connection_id)

    async def reconcile(self, connection_id: str) -> datetime | None:
        """See ``Connections.reconcile``."""
        await self.access_token(connection_id)
        return await self._run(self._face.plans.reconcile(connection_id), connection_id)

    async def remind(self, connection_id: str) -> bool:
        """See ``Connections.remind``."""
        return await self._run(self._face.remind_plan(connection_id), connection_id)

    async def tick(self, connection_id: str) -> core.Status:
        """See ``Connections.tick``."""
        return await self._run(self._face.tick_plan(connection_id), connection_id)

    async def resolve(self, connection_id: str, stale: int | None = None) -> core.Decision | None:
        """See ``Connections.resolve``."""
        async with self._flight(connection_id):
            plan = self._face.plans.resolve(connection_id, stale)
            return await self._run(plan, connection_id)

    async def recover(self, limit: int = 1000) -> int:
        """See ``Connections.recover``."""
        opened = await self._store(lambda: self.store.open_answers(limit))
        count = 0
        for connection_id, request in opened:
            if await self.resolve(connection_id, stale=request) is not None:
                count += 1
        return count

    async def status(self, connection_id: str) -> StatusView:
        """See ``Connections.status``."""
        stored = await self._store(lambda: self.store.get(connection_id), connection_id)
        return status_view(stored, self.now(), self.policy)

    async def history(self, connection_id: str) -> list[HistoryEntry]:
        """See ``Connections.history``."""
        return await self._store(lambda: self.store.history(connection_id), connection_id)

    async def events(
        self, *, after: int = 0, limit: int = 100, connection_id: str | None = None
    ) -> tuple[OutboxEvent, ...]:
        """See ``Connections.events``."""
        return await self._store(
            lambda: self.store.events(after=after, limit=limit, connection_id=connection_id)
        )

    async def ack(self, event_ids: Sequence[str] | Iterable[str]) -> int:
        """See ``Connections.ack``."""
        ids = list(event_ids)
        return await self._store(lambda: self.store.ack(ids))

    async def _store(self, call: Callable[[], T], connection_id: str | None = None) -> T:
        return await asyncio.to_thread(call_store, call, connection_id)
