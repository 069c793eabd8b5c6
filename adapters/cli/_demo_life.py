"""The life ``lifecycle demo`` walks: one connection, from the link to its revocation.

Everything goes through the public service (``Connections``) and the worker, against
the local sandbox, whose clock the demo moves: the service runs on the sandbox's clock,
so simulated months pass in seconds. The user's part (the bank's dialog, the
re-authentication) is played over real HTTP. Each step of the life is a ``Step``: when,
who acted, what happened, the status after it and the outbox events it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from attrs import evolve, field, frozen

import lifecycle as core
from adapters.sandbox import ExtendAnswer, Sandbox
from adapters.service import Connections
from adapters.truelayer import ExtendUser
from adapters.worker import run_due

__all__ = ["SCOPES", "Step", "live"]

SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")
PROVIDERS = "uk-cs-mock"
USER = ExtendUser(id="demo-user", name="Ada Lovelace", email="ada@example.test")
A = core.Action
_DAY = timedelta(days=1)


@frozen
class Step:
    """One moment of the timeline.

    Attributes:
        at: when (the sandbox's clock).
        day: whole days since the connection started.
        who: ``user``, ``app``, ``worker`` or ``bank`` (TrueLayer's side).
        what: what happened, in words.
        status: the connection's status after it.
        reason: why it is inactive, or ``None``.
        consent_expires_at: when the consent runs out, as it stands after the step.
        events: the outbox events the step wrote, by type.
        worker: what the worker did, counted by action (worker steps only).
        runs: how many worker runs the step sums up (1 for a single step).
        until_day: the last day a summed-up step covers.
    """

    at: datetime
    day: int
    who: str
    what: str
    status: str
    reason: str | None
    consent_expires_at: datetime | None
    events: tuple[str, ...] = ()
    worker: dict[str, int] = field(factory=dict)
    runs: int = 1
    until_day: int | None = None


def _worker_run(connections: Connections) -> dict[str, int]:
    """One worker run at the service's clock; what it did, counted by action."""
    counts = run_due(connections).counts()
    # The actions only (not leases taken or idle ones), those that happened.
    return {name: counts[name] for name in _WORDS if counts.get(name)}


class _Life:
    """The bookkeeping of one walk: the connection, its start, the events seen so far."""

    def __init__(self, connections: Connections, sandbox: Sandbox) -> None:
        self.connections = connections
        self.sandbox = sandbox
        self.connection_id = ""
        self.start = sandbox.clock.now()
        self.position = 0

    def take_events(self) -> tuple[str, ...]:
        """The types of the outbox events written since the last look."""
        events = self.connections.events(after=self.position, limit=1000)
        if events:
            self.position = events[-1].position
        return tuple(event.type for event in events)

    def step(
        self, who: str, what: str, events: tuple[str, ...] | None = None, **extra: Any
    ) -> Step:
        """The step that just happened; its events are those written since the last step
        (or ``events``, taken earlier)."""
        now = self.sandbox.clock.now()
        view = self.connections.status(self.connection_id) if self.connection_id else None
        reason = None if view is None else view.inactive_reason
        return Step(
            at=now,
            day=(now - self.start) // _DAY,
            who=who,
            what=what,
            status="-" if view is None else view.status.value,
            reason=None if reason is None else reason.value,
            consent_expires_at=None if view is None else view.deadlines.consent_expires_at,
            events=self.take_events() if events is None else events,
            **extra,
        )

    def due(self, action: core.Action) -> datetime:
        view = self.connections.status(self.connection_id)
        return min(item.due for item in view.agenda if item.action is action)

    def consent_ends(self) -> datetime:
        ends = self.connections.status(self.connection_id).deadlines.consent_expires_at
        assert ends is not None  # an active UK connection's consent has an end (R7)
        return ends


def _day(life: _Life, at: datetime) -> int:
    return (at - life.start) // _DAY


def _daily(
    life: _Life, until: Callable[[dict[str, int]], bool], on_day: Callable[[int], None]
) -> Iterator[Step]:
    """The worker once a day (as from cron) until ``until`` says a run was the one:
    routine runs (refreshes only, no event) are summed up in one step."""
    routine: list[dict[str, int]] = []
    first = 0
    while True:
        life.sandbox.clock.advance(_DAY)
        counts = _worker_run(life.connections)
        on_day(_day(life, life.sandbox.clock.now()))
        events = life.take_events()
        if set(counts) <= {"refreshed"} and not events and not until(counts):
            if not routine:
                first = _day(life, life.sandbox.clock.now())
            routine.append(counts)
            continue
        if routine:
            yield _summary(life, routine, first)
            routine = []
        yield life.step("worker", _worker_words(counts), events, worker=counts)
        if until(counts):
            return


def _summary(life: _Life, runs: list[dict[str, int]], first: int) -> Step:
    refreshed = sum(run.get("refreshed", 0) for run in runs)
    last = _day(life, life.sandbox.clock.now()) - 1
    step = life.step(
        "worker",
        f"ran once a day: {len(runs)} runs, {refreshed} access-token refreshes ahead of "
        "expiry (R5)",
        worker={"refreshed": refreshed},
        events=(),
        runs=len(runs),
        until_day=last,
    )
    return evolve(step, day=first)


_WORDS = {
    "kept_alive": "kept the unused refresh token alive before its 30 days ran out (R6)",
    "refreshed": "refreshed the access token ahead of expiry (R5)",
    "reminded": "sent a reminder to reconfirm consent (outbox consent_expiring)",
    "expired": "recorded an expiry (R8)",
    "resolved": "resolved a request in flight from the journal (R15)",
    "reconciled": "reconciled the consent with /data/v1/me (R10)",
}


def _worker_words(counts: dict[str, int]) -> str:
    done = [_WORDS.get(name, name) for name in _WORDS if counts.get(name)]
    return "; ".join(done) if done else "nothing was due"


def live(
    connections: Connections, sandbox: Sandbox, on_day: Callable[[int], None] = lambda day: None
) -> Iterator[Step]:
    """Walk one connection through its whole life; yield each step as it happens.

    ``on_day`` is told each simulated day the worker ran (for a progress display).

    Raises:
        ServiceError: the service refused a step (a bug in the walk, or in the service).
    """
    life = _Life(connections, sandbox)
    link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
    life.connection_id = link.connection_id
    yield life.step("app", "created the connection and its auth link (R1, R14)")
    query = sandbox.consent(link.url)
    yield life.step("user", "consented in the bank's dialog, came back with a code (R2)")
    connections.handle_callback(query)
    yield life.step("app", "handled the callback: code exchanged once, tokens stored (R3, R4)")
    accounts = connections.accounts(link.connection_id)
    yield life.step("app", f"read {len(accounts)} accounts (R11)")

    # Nobody touches the connection for four weeks: the refresh token from the code
    # exchange has never been used, and would lapse on day 30 (R6).
    sandbox.clock.set(life.due(A.KEEP_REFRESH_TOKEN_ALIVE))
    counts = _worker_run(connections)
    yield life.step("worker", _worker_words(counts), worker=counts)

    def second_reminder(counts: dict[str, int]) -> bool:
        return counts.get("reminded", 0) > 0 and _reminders(life) == 2

    yield from _daily(life, second_reminder, on_day)
    connections.reconfirm(life.connection_id, evidence="in-app banner: Keep sharing")
    yield life.step("user", "reconfirmed consent in the app (evidence kept, R9)")
    extended = connections.extend(life.connection_id, user=USER)
    assert extended.extended
    yield life.step("app", "extended the connection: 90 more days from today (R9)")

    yield from _daily(life, lambda counts: counts.get("reminded", 0) > 0, on_day)
    sandbox.configure(extend_answer=ExtendAnswer.AUTHENTICATION_NEEDED)
    yield life.step("bank", "will ask the user to authenticate again at the next extension")
    connections.reconfirm(life.connection_id, evidence="email link: Keep sharing")
    yield life.step("user", "reconfirmed consent from the reminder email (R9)")
    outcome = connections.extend(life.connection_id, user=USER)
    assert outcome.user_input_link is not None
    yield life.step(
        "app", "asked to extend: the bank wants re-authentication; sent the user its link"
    )
    query = sandbox.consent(outcome.user_input_link)
    yield life.step("user", "authenticated again at the bank (R9)")
    connections.handle_callback(query, connection_id=life.connection_id)
    yield life.step("app", "handled the callback: the consent clock starts again (R9)")

    sandbox.clock.advance(_DAY)
    connections.revoke(life.connection_id)
    yield life.step("user", "disconnected in the app: the connection is revoked (R12)")
    pending = connections.events(limit=1000)
    connections.ack(event.event_id for event in pending)
    yield life.step("app", f"read the outbox: {len(pending)} events, acknowledged")


def _reminders(life: _Life) -> int:
    history = life.connections.history(life.connection_id)
    return sum(isinstance(entry.input, core.ReminderSent) for entry in history)
