"""``run_due``: lease the due connections, act on their agenda through the service, release.

Theory of operation: the store's due index says *which* connections have something to
do (``next_due``); ``lease_due`` shares them out among every process and machine that
calls ``run_due`` at the same time, so a due connection is handled by one worker. *What*
is due for each connection of a batch is read in one round trip from the agenda the store
keeps beside each record (``due_actions``: no record decoded, no token decrypted), and
the service does it (one commit per step, crash-safe, its own compare-and-set). After a
round, what is due for the connections acted on is read again (one round trip) and done
too, a bounded number of rounds, never the same action twice for one connection in one
batch. Every lease taken is released on the way out:
after the work, on an exception, and on SIGTERM (the connection in hand is finished,
the rest released untouched).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from attrs import evolve, frozen

import lifecycle as core
from adapters.service import Connections, ServiceError
from adapters.stores import CorruptRecordError, Lease, StoredConnection, StoreError

from ._signals import graceful_sigterm

__all__ = ["Done", "run_due"]

log = logging.getLogger("adapters.worker")

A = core.Action
# Each round acts on what is due; a round can make something else due (a resolved
# request lets a refresh fall due). Four rounds cover every chain the agenda has.
_ROUNDS = 4
_FIELDS = {
    A.REFRESH_ACCESS_TOKEN: "refreshed",
    A.KEEP_REFRESH_TOKEN_ALIVE: "kept_alive",
    A.REMIND_RECONFIRM: "reminded",
    A.EXPIRE: "expired",
    A.RESOLVE_REQUEST: "resolved",
}


@frozen
class Done:
    """What one ``run_due`` did, counted.

    Attributes:
        leased: connections leased (and released again).
        refreshed: access tokens refreshed ahead of expiry (R5).
        kept_alive: never-used refresh tokens used before their 30 days ran out (R6).
        reminded: reminders to reconfirm recorded (outbox ``connection.consent_expiring``).
        expired: status changes made by time recorded (R8).
        resolved: unresolved requests resolved from the journal (R15).
        reconciled: consents reconciled with ``/data/v1/me`` (R10).
        failed: actions that raised a ``ServiceError`` (logged; retried next batch).
        idle: leased connections with nothing due any more (another worker was quicker).
        stopped: the batch stopped early on SIGTERM (the rest was released untouched).
    """

    leased: int = 0
    refreshed: int = 0
    kept_alive: int = 0
    reminded: int = 0
    expired: int = 0
    resolved: int = 0
    reconciled: int = 0
    failed: int = 0
    idle: int = 0
    stopped: bool = False

    @property
    def actions(self) -> int:
        """How many actions succeeded."""
        return (
            self.refreshed
            + self.kept_alive
            + self.reminded
            + self.expired
            + self.resolved
            + self.reconciled
        )

    def counts(self) -> dict[str, int]:
        """The counts by name (for logs and JSON)."""
        return {
            name: getattr(self, name)
            for name in (
                "leased",
                "refreshed",
                "kept_alive",
                "reminded",
                "expired",
                "resolved",
                "reconciled",
                "failed",
                "idle",
            )
        }

    def __add__(self, other: Done) -> Done:
        return Done(
            **{name: value + getattr(other, name) for name, value in self.counts().items()},
            stopped=self.stopped or other.stopped,
        )


def worker_id() -> str:
    """A lease owner name unique to this call: host, process, and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _reconcile_due(
    record: core.Connection, now: datetime, policy: core.Policy, every: timedelta
) -> bool:
    # No record field says when /me was last read; the record's last input does: a
    # connection is reconciled when the worker handles it in a period (counted from its
    # consent's start) later than the period of its last input. At most once a period.
    if core.status_at(record, now, policy)[0] is not core.Status.ACTIVE:
        return False
    start = record.consent.started_at
    return (now - start) // every > (record.last_input_at - start) // every


def _perform(connections: Connections, action: core.Action, connection_id: str) -> bool:
    """Do one agenda action through the service; whether it changed anything."""
    if action is A.REFRESH_ACCESS_TOKEN:
        connections.access_token(connection_id)
        return True
    if action is A.KEEP_REFRESH_TOKEN_ALIVE:
        connections.refresh(connection_id)
        return True
    if action is A.REMIND_RECONFIRM:
        return connections.remind(connection_id)
    if action is A.EXPIRE:
        connections.tick(connection_id)
        return True
    assert action is A.RESOLVE_REQUEST
    return connections.resolve(connection_id) is not None


class _Batch:
    """One batch's bookkeeping: counts, what was done to whom, when to stop."""

    def __init__(
        self, connections: Connections, now: datetime, stop: threading.Event, leased: int
    ) -> None:
        self.connections = connections
        self.now = now
        self.stop = stop
        self.done = Done(leased=leased)
        self.tried: dict[str, set[core.Action]] = {}
        self.acted: set[str] = set()

    def count(self, field: str) -> None:
        self.done = evolve(self.done, **{field: getattr(self.done, field) + 1})

    def act(self, connection_id: str, actions: Sequence[core.Action]) -> bool:
        """Perform ``actions`` on one connection; whether any ran (it may have more due)."""
        tried = self.tried.setdefault(connection_id, set())
        ran = False
        for action in actions:
            if action in tried:
                continue  # never twice in a batch: the next batch tries again
            tried.add(action)
            try:
                changed = _perform(self.connections, action, connection_id)
            except ServiceError as error:
                # The service recorded what the failure means (R15); the lease is
                # released below and the next batch finds the connection due again.
                self.count("failed")
                log.warning("%s %s failed: %s", action.value, connection_id, error)
                return False
            ran = True
            if changed:
                self.count(_FIELDS[action])
                log.info("%s %s", action.value, connection_id)
            else:
                log.info("%s %s: nothing to do", action.value, connection_id)
        return ran

    def reconcile(self, connection_id: str) -> None:
        try:
            reported = self.connections.reconcile(connection_id)
        except ServiceError as error:
            self.count("failed")
            log.warning("reconcile %s failed: %s", connection_id, error)
            return
        self.count("reconciled")
        shown = "no consent expiry reported" if reported is None else reported.isoformat()
        log.info("reconcile %s: %s", connection_id, shown)


def _work(batch: _Batch, leases: Sequence[Lease], reconcile_every: timedelta | None) -> None:
    store = batch.connections.store
    pending = [lease.connection_id for lease in leases]
    reconcile = _to_reconcile(batch, pending, reconcile_every)
    for _ in range(_ROUNDS):
        again: list[str] = []
        # What is due, from the agenda the store keeps beside each record: one round
        # trip, no record decoded, no token decrypted (the service reads what it uses).
        due = store.due_actions(pending, batch.now)
        for connection_id in pending:
            if batch.stop.is_set():
                batch.done = evolve(batch.done, stopped=True)
                return
            actions = due.get(connection_id)
            if actions is None:
                continue  # deleted since it was leased
            if isinstance(actions, CorruptRecordError):
                batch.count("failed")
                log.error("%s cannot be read: %s", connection_id, actions)
                continue
            if batch.act(connection_id, actions):
                batch.acted.add(connection_id)
                again.append(connection_id)
            if connection_id in reconcile:
                reconcile.discard(connection_id)
                batch.reconcile(connection_id)
                batch.acted.add(connection_id)
        pending = again
        if not pending:
            break
    batch.done = evolve(batch.done, idle=batch.done.leased - len(batch.acted))


def _to_reconcile(batch: _Batch, ids: Sequence[str], every: timedelta | None) -> set[str]:
    # Reading /me is rare (once a period) and needs the record's consent and last input
    # as leased (before this batch acts on it): only then are the records read, in one
    # round trip.
    if every is None or not ids:
        return set()
    policy = batch.connections.policy
    return {
        connection_id
        for connection_id, stored in batch.connections.store.get_many(ids).items()
        if isinstance(stored, StoredConnection)
        and _reconcile_due(stored.record, batch.now, policy, every)
    }


def _release(connections: Connections, leases: Iterable[Lease], owner: str) -> None:
    for lease in leases:
        try:
            connections.store.release(lease.connection_id, owner)
        except StoreError as error:
            # Someone took it over after our lease ran out, or the store is gone: the
            # lease ends by itself at its ``lease_until`` either way.
            log.warning("release %s: %s", lease.connection_id, error)


def run_due(
    connections: Connections,
    now: datetime | None = None,
    limit: int = 100,
    reconcile_every: timedelta | None = None,
    *,
    stop: threading.Event | None = None,
    owner: str | None = None,
) -> Done:
    """Lease up to ``limit`` due connections and do what their agenda says is due.

    Proactive refresh (R5), keep-alive refresh before the 30-day first-use window closes
    (R6), reminders to reconfirm (R9, outbox ``connection.consent_expiring``), expiry
    (R8), resolving unresolved requests from the journal (R15), and, with
    ``reconcile_every``, reading ``/data/v1/me`` (R10) for an active connection the
    worker handles in a later period than its last change. Safe to call from many
    processes and machines at once on one store: each due connection is leased to one
    caller. Every lease taken is released before returning, also on an exception and on
    SIGTERM (called from the main thread with SIGTERM's default action, the connection
    in hand is finished, the others released, then the process ends by SIGTERM).

    Args:
        connections: the service (its store, clock, policy and lease length are used).
        now: the time to act at (default: the service's clock).
        limit: the most connections to lease in this batch.
        reconcile_every: how often to reconcile a connection with ``/data/v1/me``; ``None``
            (the default) never does.
        stop: set it to stop the batch early (the connection in hand is finished).
        owner: the lease owner's name (default: host, process id and a random suffix).

    Returns:
        What was done, counted by action.

    Raises:
        ValueError: ``limit`` < 1, a naive ``now``, or a ``reconcile_every`` not positive.
        StoreError: the store failed (leases taken are released, if it still answers).
    """
    if limit < 1:
        raise ValueError("run_due: limit must be at least 1")
    if reconcile_every is not None and reconcile_every <= timedelta(0):
        raise ValueError("run_due: reconcile_every must be a positive duration")
    at = connections.now() if now is None else now
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("run_due: now must be timezone-aware")
    name = owner or worker_id()
    stopping = stop if stop is not None else threading.Event()
    with graceful_sigterm(stopping):
        leases = connections.store.lease_due(
            name, due_by=at, lease_until=at + connections.lease, limit=limit, now=at
        )
        batch = _Batch(connections, at, stopping, len(leases))
        try:
            if leases:
                _work(batch, leases, reconcile_every)
        finally:
            _release(connections, leases, name)
    if batch.done.leased:
        log.debug("batch at %s: %s", at.isoformat(), batch.done.counts())
    return batch.done
