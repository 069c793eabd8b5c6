"""Systems under test: what the stateful test drives, one connection at a time.

A ``System`` holds one connection: it starts it, decides each input for it and says
what record it now holds. ``apply_system`` wraps a function with the shape of
``lifecycle.apply`` (a team's own decider, or a wrapper around the core);
``store_system`` wraps a store (``adapters.stores.Store`` or anything with its
``create``/``get``/``commit``/``history``), so that every reachable record goes through
it. Anything else — a service over a sandbox — is a ``System`` written in a few lines.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from hypothesis.errors import InvalidDefinition

from .._decide import Decision, apply, start
from .._inputs import ConnectionStarted, Input
from .._policy import DEFAULT_POLICY, Policy
from .._record import Connection
from .._vocabulary import Effect, Reason, Status
from ._invariants import InvariantError
from ._timelines import Apply

__all__ = [
    "StoreLike",
    "System",
    "SystemFactory",
    "apply_system",
    "as_system_factory",
    "store_system",
]


@runtime_checkable
class System(Protocol):
    """One connection in a system under test."""

    def start(self, event: ConnectionStarted) -> Connection:
        """Create the connection; return the record the system now holds."""
        ...

    def feed(self, input: Input) -> Decision:
        """Decide one input; return the decision, with the record the system now holds."""
        ...

    def record(self) -> Connection:
        """The record the system holds now (re-read it: that is what is checked)."""
        ...


SystemFactory = Callable[[], System]
"""Makes a fresh ``System`` for each run of the stateful test."""


class _Stored(Protocol):
    record: Connection
    version: int


class _Entry(Protocol):
    seq: int
    at: datetime
    input: Input
    accepted: bool
    reason: Reason | None
    effects: tuple[Effect, ...]
    status_after: Status


@runtime_checkable
class StoreLike(Protocol):
    """What ``store_system`` needs of a store: ``adapters.stores.Store``'s core."""

    def create(self, connection_id: str, record: Connection, started: ConnectionStarted) -> Any:
        """See ``adapters.stores.Store.create``."""
        ...

    def get(self, connection_id: str) -> Any:
        """See ``adapters.stores.Store.get``."""
        ...

    def commit(
        self, connection_id: str, expected_version: int, input: Input, decision: Decision
    ) -> Any:
        """See ``adapters.stores.Store.commit``."""
        ...

    def history(self, connection_id: str) -> Any:
        """See ``adapters.stores.Store.history``."""
        ...


def _call_shape(function: Callable[..., Any]) -> int:
    """How many positional arguments an apply-shaped function takes: 3, 2, or 0 (neither)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return 3  # a builtin or C function: trust it, its first call says otherwise
    for count in (3, 2):
        try:
            signature.bind(*range(count))
        except TypeError:
            continue
        return count
    return 0


class _ApplySystem:
    def __init__(self, decide: Callable[..., Any], takes_policy: bool, policy: Policy) -> None:
        self._decide, self._takes_policy, self._policy = decide, takes_policy, policy
        self._record: Connection | None = None

    def start(self, event: ConnectionStarted) -> Connection:
        self._record = start(event, self._policy)
        return self._record

    def feed(self, input: Input) -> Decision:
        assert self._record is not None, "start() comes first"
        args = (self._record, input, self._policy) if self._takes_policy else (self._record, input)
        decision = self._decide(*args)
        if not isinstance(decision, Decision):
            raise InvalidDefinition(
                f"the system under test returned {type(decision).__name__}, not a "
                "lifecycle.Decision: make it return what lifecycle.apply(record, input, "
                "policy) returns (a Decision with the new record)"
            )
        self._record = decision.record
        return decision

    def record(self) -> Connection:
        assert self._record is not None, "start() comes first"
        return self._record


def apply_system(decide: Apply, *, policy: Policy = DEFAULT_POLICY) -> SystemFactory:
    """A system under test from a function shaped like ``lifecycle.apply``.

    Args:
        decide: ``decide(record, input, policy) -> Decision`` (or without ``policy``).
        policy: the policy passed to it.

    Raises:
        InvalidDefinition: ``decide`` is not a function of (record, input[, policy]).
    """
    if not callable(decide):
        raise InvalidDefinition(
            f"apply_system needs a function decide(record, input, policy) -> Decision, "
            f"not {type(decide).__name__}"
        )
    shape = _call_shape(decide)
    if shape == 0:
        raise InvalidDefinition(
            f"{getattr(decide, '__name__', decide)!r} cannot be called as "
            "decide(record, input, policy) or decide(record, input): give it that "
            "signature, like lifecycle.apply"
        )
    return lambda: _ApplySystem(decide, shape == 3, policy)


class _StoreSystem:
    def __init__(self, store: StoreLike, connection_id: str, decide: Apply, policy: Policy):
        self._store, self._id, self._decide, self._policy = store, connection_id, decide, policy
        self._version = 0

    def start(self, event: ConnectionStarted) -> Connection:
        stored = self._store.create(self._id, start(event, self._policy), event)
        self._version = stored.version
        _expect(stored.version == 1, f"{self._id}: a new connection is at version 1")
        return self.record()

    def feed(self, input: Input) -> Decision:
        stored: _Stored = self._store.get(self._id)
        _expect(
            stored.version == self._version,
            f"{self._id}: the version read back is the one last committed",
        )
        decision = self._decide(stored.record, input, self._policy)
        committed: _Stored = self._store.commit(self._id, stored.version, input, decision)
        self._version += 1
        _expect(
            committed.version == self._version,
            f"{self._id}: every commit bumps the version by one, refused or not",
        )
        history: list[_Entry] = list(self._store.history(self._id))
        _expect(len(history) == self._version, f"{self._id}: the version counts history rows")
        last = history[-1]
        _expect(
            (last.seq, last.input, last.accepted, last.reason, tuple(last.effects))
            == (self._version, input, decision.accepted, decision.reason, decision.effects),
            f"{self._id}: the last history row is the input and its decision",
        )
        _expect(
            last.status_after is decision.record.status,
            f"{self._id}: the last history row holds the status after the decision",
        )
        return Decision(
            self.record(), decision.accepted, decision.reason, decision.effects, decision.detail
        )

    def record(self) -> Connection:
        stored: _Stored = self._store.get(self._id)
        return stored.record


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise InvariantError(what)


def store_system(
    store: StoreLike,
    *,
    decide: Apply = apply,
    policy: Policy = DEFAULT_POLICY,
    ids: Iterator[str] | None = None,
) -> SystemFactory:
    """A system under test that keeps its connection in ``store``.

    Every input is decided on the record read back from the store (by ``decide``, the
    core by default) and committed; after each commit the store must hold the decided
    record, one more version, and a history row with the input and its decision.

    Args:
        store: an open store; each run of the stateful test uses a new connection in it.
        decide: the decider, shaped like ``lifecycle.apply``.
        policy: the policy to decide by.
        ids: the connection ids to use, one per run; by default ``lifecycle-machine-1``,
            ``-2``, ... (give your own when the store is shared across processes).

    Raises:
        InvalidDefinition: ``store`` lacks ``create``, ``get``, ``commit`` or ``history``.
    """
    missing = [name for name in ("create", "get", "commit", "history") if not hasattr(store, name)]
    if missing:
        raise InvalidDefinition(
            f"store_system needs a store with create, get, commit and history "
            f"(adapters.stores.Store); {type(store).__name__} has no {', '.join(missing)}"
        )
    names = ids if ids is not None else (f"lifecycle-machine-{n}" for n in itertools.count(1))
    return lambda: _StoreSystem(store, next(names), decide, policy)


def as_system_factory(system: object, policy: Policy) -> SystemFactory:
    """Whatever ``lifecycle_machine`` was given, as a factory of fresh systems.

    Raises:
        InvalidDefinition: it is none of the accepted things; the message says what is.
    """
    if isinstance(system, StoreLike):
        return store_system(system, policy=policy)
    if callable(system):
        shape = _call_shape(system)
        if shape in (2, 3) and _takes_arguments(system):
            return apply_system(system, policy=policy)
        if _takes_arguments(system) is False:
            return lambda: _checked_system(system())
    raise InvalidDefinition(
        "lifecycle_machine needs the system under test: a function shaped like "
        "lifecycle.apply(record, input, policy), a store (create/get/commit/history, like "
        "adapters.stores.Store), or a function of no arguments that returns a fresh "
        f"lifecycle.testing.System; got {type(system).__name__}"
    )


def _takes_arguments(function: Callable[..., Any]) -> bool | None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind()
    except TypeError:
        return True
    return False


def _checked_system(made: object) -> System:
    if not isinstance(made, System):
        raise InvalidDefinition(
            f"the system factory returned {type(made).__name__}, which is not a "
            "lifecycle.testing.System: give it start(event), feed(input) and record()"
        )
    return made
