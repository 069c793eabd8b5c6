"""The steps a plan asks its face to perform: sans-I/O, h11's way.

A plan is a generator: it yields one of these, and the face performing it sends the
result back (or throws the store's or the client's error into it). The sync face and
the async face differ only in how they perform a step; every decision lives in the plan.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any, TypeVar

from attrs import field, frozen

import lifecycle as core
from adapters.stores import OutboxEvent

__all__ = [
    "Call",
    "Commit",
    "Create",
    "FindByState",
    "Load",
    "Now",
    "Op",
    "Pause",
    "Plan",
    "ReadAnswer",
    "RecordAnswer",
]

T = TypeVar("T")


@frozen
class Load:
    """Read a connection from the store (``StoredConnection``)."""

    connection_id: str


@frozen
class Create:
    """Store a new connection (``StoredConnection``)."""

    connection_id: str
    record: core.Connection
    started: core.ConnectionStarted
    events: tuple[OutboxEvent, ...] = ()


@frozen
class Commit:
    """Commit a decision with compare-and-set, its outbox events and journal closing."""

    connection_id: str
    version: int
    input: core.Input
    decision: core.Decision
    events: tuple[OutboxEvent, ...] = ()
    close_answer: int | None = None
    link_state: core.Secret | None = None


@frozen
class RecordAnswer:
    """Store a request's raw answer durably, at once (R15: the journal)."""

    connection_id: str
    request: int
    answer: Mapping[str, Any] = field(repr=False)


@frozen
class ReadAnswer:
    """The stored answer of a request, or ``None``."""

    connection_id: str
    request: int


@frozen
class FindByState:
    """The connection id whose outstanding link carries this state, or ``None``."""

    state: core.Secret


@frozen
class Call:
    """Call a method of the TrueLayer client (the sync or the async one)."""

    method: str
    args: Sequence[Any] = field(default=(), repr=False)
    kwargs: Mapping[str, Any] = field(factory=dict, repr=False)


@frozen
class Now:
    """The service's clock (an aware UTC datetime)."""


@frozen
class Pause:
    """Wait, without holding anything (another process finishes its request)."""

    seconds: float


Op = Load | Create | Commit | RecordAnswer | ReadAnswer | FindByState | Call | Now | Pause
Plan = Generator[Op, Any, T]
