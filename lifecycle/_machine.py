"""The ``transitions`` machine, built once from the table at import.

It is not on the hot path (a ``Machine`` per connection costs ~0.5 ms and ~11 KiB; a
dict lookup ~0.1 µs), and never one per connection. It validates the table a second
way — every source, destination and trigger is known to it, and every status can be
reached from the start — and serves as the independent oracle of the property tests:
for any accepted input, the machine must allow the same move from the same status.
"""

from __future__ import annotations

from transitions import Machine, MachineError

from ._errors import TableError
from ._table import TABLE
from ._vocabulary import Status

__all__ = ["MACHINE", "NEW", "oracle_next", "reachable"]

NEW = "new"  # the connection before ``connection_started``


class _Probe:
    """The one model the machine drives; it holds nothing but ``state``."""

    state: str


_PROBE = _Probe()

MACHINE = Machine(
    model=_PROBE,
    states=[NEW, *(status.value for status in Status)],
    transitions=[
        {
            "trigger": row.input,
            "source": NEW if row.source is None else row.source.value,
            "dest": row.dest.value,
        }
        for row in TABLE
    ],
    initial=NEW,
    auto_transitions=False,
)


def oracle_next(source: Status | None, trigger: str) -> Status | None:
    """The status the machine moves to on ``trigger`` from ``source``; ``None`` if none."""
    MACHINE.set_state(NEW if source is None else source.value, model=_PROBE)
    try:
        _PROBE.trigger(trigger)  # type: ignore[attr-defined]
    except MachineError:
        return None
    return Status(_PROBE.state)


def reachable() -> frozenset[str]:
    """The states the machine can reach from ``new`` through its own transitions."""
    seen = {NEW}
    frontier = [NEW]
    while frontier:
        state = frontier.pop()
        for trigger in MACHINE.get_triggers(state):
            for transition in MACHINE.events[trigger].transitions.get(state, ()):
                if transition.dest is not None and transition.dest not in seen:
                    seen.add(transition.dest)
                    frontier.append(transition.dest)
    return frozenset(seen)


def _validate() -> None:
    # Everything the table names, the machine knows; every status is reachable.
    known = set(MACHINE.states)
    for row in TABLE:
        if row.input not in MACHINE.events:
            raise TableError(f"the machine has no trigger {row.input!r}")
        for status in (row.source, row.dest):
            if status is not None and status.value not in known:
                raise TableError(f"the machine has no state {status!r}")
    unreachable = sorted(set(MACHINE.states) - reachable())
    if unreachable:
        raise TableError(f"statuses no input can reach: {unreachable}")


_validate()
