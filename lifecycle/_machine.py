"""The ``transitions`` machine, built once from the table at import.

It is not on the hot path (a dict lookup is ~5000x cheaper than a ``Machine`` per
connection). It validates the table a second way, draws nothing by itself, and serves
as an independent oracle in differential tests: for any accepted input, the machine
must allow the same move from the same status.
"""

from __future__ import annotations

from transitions import Machine, MachineError

from ._table import TABLE
from ._vocabulary import Status

__all__ = ["MACHINE", "NEW", "oracle_next"]

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
