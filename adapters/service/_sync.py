"""``Connections``: the blocking face of the connection service."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import lifecycle as core
from adapters.stores import ConflictError, HistoryEntry, OutboxEvent, Store
from adapters.truelayer import ExtendUser, TrueLayerClient, TrueLayerError

from ._face import Face, call_store, perform_store, translate
from ._ops import Call, Now, Op, Pause, Plan
from ._results import Begun, CallbackOutcome, ExtendOutcome, StatusView
from ._status import status_view

__all__ = ["Connections"]

T = TypeVar("T")


class Connections:
    """The connection service: what an embedding service calls, exactly once, crash-safe.

    Every method takes the connection id, reads the record from the store at the moment
    of use, and raises only ``ServiceError`` subclasses. Safe to use from many threads;
    many processes and machines may share one store (PostgreSQL for several machines).

    Args:
        store: where records, history, outbox and journal live (opened).
        client: the TrueLayer client that performs the core's effects.
        policy: the core's policy; give the store the same one (its ``policy=``).
        clock: the service's time source (default: UTC now).
        lease: how long a worker's lease on a due connection lasts.
        wait: the longest a caller waits for another process's refresh, in seconds.
    """

    def __init__(
        self,
        *,
        store: Store,
        client: TrueLayerClient,
        policy: core.Policy | None = None,
        clock: Callable[[], datetime] | None = None,
        lease: timedelta = timedelta(minutes=5),
        wait: float = 35.0,
    ) -> None:
        self.store = store
        self.client = client
        self._face = Face(policy=policy, clock=clock, lease=lease, wait=wait)
        self._guard = threading.Lock()
        self._flights: dict[str, threading.Lock] = {}

    @property
    def policy(self) -> core.Policy:
        """The core's policy the service decides by."""
        return self._face.policy

    @property
    def lease(self) -> timedelta:
        """How long a worker's lease on a due connection lasts."""
        return self._face.lease

    def now(self) -> datetime:
        """The service's clock."""
        return self._face.now()

    # -- performing a plan -------------------------------------------------------------

    def _perform(self, op: Op) -> Any:
        if isinstance(op, Call):
            return getattr(self.client, op.method)(*op.args, **op.kwargs)
        if isinstance(op, Now):
            return self._face.now()
        if isinstance(op, Pause):
            time.sleep(op.seconds)
            return None
        return perform_store(self.store, op)

    def _run(self, plan: Plan[T], connection_id: str | None = None) -> T:
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
                    value = self._perform(op)
                except (ConflictError, TrueLayerError) as error:
                    thrown = error  # the plan decides what these mean
        except Exception as error:
            translated = translate(error, connection_id)
            if translated is None or translated is error:
                raise
            raise translated from error
        finally:
            plan.close()

    def _flight(self, connection_id: str) -> threading.Lock:
        # Single flight per process per connection: waiters get the refreshed token.
        with self._guard:
            return self._flights.setdefault(connection_id, threading.Lock())

    # -- the contract ------------------------------------------------------------------

    def begin(self, *, region: str, scopes: Iterable[str], providers: str | Iterable[str]) -> Begun:
        """Start a connection: its id and the auth link to send the user to (R1, R14).

        Raises:
            ServiceError: a malformed region or scope (``ServiceError``), the store failed.
        """
        return self._run(self._face.begin_plan(region, scopes, providers))

    def handle_callback(
        self, query: str | Mapping[str, str], *, connection_id: str | None = None
    ) -> CallbackOutcome:
        """The user came back: exchange the code exactly once (R2, R3, R4, R14).

        ``query`` is the query string (or the whole redirect URL, or a mapping of it), or
        a ``form_post`` body. A reload or duplicate returns the stored outcome. A
        re-authentication through TrueLayer's ``user_input_link`` carries none of our
        state: pass its ``connection_id``.

        Raises:
            CallbackRefused: malformed, forged, replayed or for no known attempt.
            UnknownConnection: ``connection_id`` names no connection.
        """
        return self._run(self._face.callback_plan(query, connection_id), connection_id)

    def access_token(self, connection_id: str) -> core.Secret:
        """A valid access token, refreshed ahead of expiry within the policy's leeway.

        Raises:
            Refused: the connection cannot give one (not active, no refresh possible).
            BankRefused: the refresh was refused (its outcome is recorded).
            BankUnavailable: the refresh failed for now (its outcome is recorded).
            UnresolvedRequest: another refresh's outcome is unknown.
        """
        with self._flight(connection_id):
            return self._run(self._face.plans.access_token(connection_id), connection_id)

    def refresh(self, connection_id: str) -> core.Secret:
        """Refresh now, whatever the access token's expiry: a never-used refresh token is
        kept alive this way before its first-use window closes (R6). Returns the new token.

        Raises:
            Refused: e.g. ``request_in_flight``, ``no_offline_access``, ``not_active``.
            BankRefused: the refresh was refused (its outcome is recorded).
            BankUnavailable: the refresh failed for now (its outcome is recorded).
        """
        with self._flight(connection_id):
            return self._run(self._face.plans.refresh(connection_id), connection_id)

    def _data(self, connection_id: str, method: str, *args: Any, **kwargs: Any) -> Any:
        self.access_token(connection_id)  # refresh first, single flight, when due
        return self._run(self._face.data_plan(connection_id, method, args, kwargs), connection_id)

    def info(self, connection_id: str, **options: Any) -> Any:
        """``GET /data/v1/info`` (see the client's ``info``)."""
        return self._data(connection_id, "info", **options)

    def accounts(self, connection_id: str, **options: Any) -> Any:
        """``GET /data/v1/accounts``: refresh first when due; on 401 refresh once and
        retry once; a 403 ``access_denied`` is recorded (R11).

        Raises:
            BankRefused: TrueLayer refused the call (a 403 ``access_denied`` is recorded).
            BankUnavailable: TrueLayer or the bank failed; try again later.
            Refused: the connection is not active, or no token can be had.
            UnknownConnection: no such connection.
        """
        return self._data(connection_id, "accounts", **options)

    def account(self, connection_id: str, account_id: str, **options: Any) -> Any:
        """``GET /data/v1/accounts/{id}``."""
        return self._data(connection_id, "account", account_id, **options)

    def balance(self, connection_id: str, account_id: str, **options: Any) -> Any:
        """``GET /data/v1/accounts/{id}/balance``."""
        return self._data(connection_id, "balance", account_id, **options)

    def transactions(self, connection_id: str, account_id: str, **options: Any) -> Any:
        """``GET /data/v1/accounts/{id}/transactions`` (``since``/``until`` aware)."""
        return self._data(connection_id, "transactions", account_id, **options)

    def data(self, connection_id: str, method: str, *args: Any, **options: Any) -> Any:
        """Any other data call of the client by name (``cards``, ``standing_orders``...)."""
        return self._data(connection_id, method, *args, **options)

    def me(self, connection_id: str) -> Any:
        """``GET /data/v1/me`` (R10)."""
        return self._data(connection_id, "me")

    def reconfirm(self, connection_id: str, *, evidence: str) -> None:
        """Record that the user reconfirmed consent, with how (R9: evidence kept).

        Raises:
            Refused: not possible in this status.
        """
        self._run(self._face.reconfirm_plan(connection_id, evidence), connection_id)

    def extend(self, connection_id: str, *, user: ExtendUser) -> ExtendOutcome:
        """Extend the connection (R9): all three answers.

        Returns:
            ``extended``; or the ``user_input_link`` when the user must re-authenticate
            (their callback then goes to ``handle_callback(query, connection_id=...)``).

        Raises:
            Refused: e.g. ``consent_not_reconfirmed``, ``region_not_extendable``.
            BankRefused: TrueLayer refused the extension (recorded).
            BankUnavailable: TrueLayer did not answer usefully (recorded).
        """
        return self._run(self._face.extend_plan(connection_id, user), connection_id)

    def revoke(self, connection_id: str) -> None:
        """Delete the connection at TrueLayer and record it (R12).

        Raises:
            Refused: e.g. already revoked, or a request in flight.
            BankRefused: TrueLayer refused the deletion (recorded).
            BankUnavailable: TrueLayer did not answer usefully (recorded).
            UnknownConnection: no such connection.
        """
        with self._flight(connection_id):
            self._run(self._face.plans.revoke(connection_id), connection_id)

    def reconcile(self, connection_id: str) -> datetime | None:
        """Read ``/data/v1/me`` and let its consent expiry shorten the core's (R10)."""
        self.access_token(connection_id)
        return self._run(self._face.plans.reconcile(connection_id), connection_id)

    def remind(self, connection_id: str) -> bool:
        """Record that the user was reminded to reconfirm (outbox ``consent_expiring``)."""
        return self._run(self._face.remind_plan(connection_id), connection_id)

    def tick(self, connection_id: str) -> core.Status:
        """Record what time has done (expiry): the status change is announced."""
        return self._run(self._face.tick_plan(connection_id), connection_id)

    def resolve(self, connection_id: str, stale: int | None = None) -> core.Decision | None:
        """Resolve the connection's unresolved request from the journal (R15).

        A stored answer is applied at once; without one, nothing is done until the
        request's time limit has passed (its own caller may still be waiting for it).
        """
        with self._flight(connection_id):
            return self._run(self._face.plans.resolve(connection_id, stale), connection_id)

    def recover(self, limit: int = 1000) -> int:
        """Resolve every request whose answer was stored but not applied (run at start).

        Returns:
            How many were resolved.
        """
        count = 0
        for connection_id, request in self._store_call(lambda: self.store.open_answers(limit)):
            if self.resolve(connection_id, stale=request) is not None:
                count += 1
        return count

    def status(self, connection_id: str) -> StatusView:
        """Status, reason, deadlines and agenda, as they stand now.

        Raises:
            UnknownConnection: no such connection.
        """
        stored = self._store_call(lambda: self.store.get(connection_id), connection_id)
        return status_view(stored, self.now(), self.policy)

    def history(self, connection_id: str) -> list[HistoryEntry]:
        """Every input decided against the connection, accepted or refused."""
        return self._store_call(lambda: self.store.history(connection_id), connection_id)

    def events(
        self, *, after: int = 0, limit: int = 100, connection_id: str | None = None
    ) -> tuple[OutboxEvent, ...]:
        """Unacknowledged outbox events, in order (per connection too): at least once."""
        return self._store_call(
            lambda: self.store.events(after=after, limit=limit, connection_id=connection_id)
        )

    def ack(self, event_ids: Sequence[str] | Iterable[str]) -> int:
        """Acknowledge outbox events; returns how many were newly acknowledged."""
        return self._store_call(lambda: self.store.ack(list(event_ids)))

    def _store_call(self, call: Callable[[], T], connection_id: str | None = None) -> T:
        return call_store(call, connection_id)
