"""The status view of a stored connection: derived by the core at one time."""

from __future__ import annotations

from datetime import datetime

import lifecycle as core
from adapters.stores import StoredConnection

from ._results import StatusView

__all__ = ["status_view"]


def status_view(stored: StoredConnection, now: datetime, policy: core.Policy) -> StatusView:
    """What the core says of ``stored`` at ``now`` (never before its last input)."""
    record = stored.record
    at = max(now, record.last_input_at)
    status, reason = core.status_at(record, at, policy)
    return StatusView(
        connection_id=stored.connection_id,
        at=at,
        status=status,
        inactive_reason=reason,
        deadlines=core.deadlines(record, at, policy),
        agenda=core.agenda(record, at, policy),
        reauthenticating=record.reauthenticating,
        request=record.request,
        version=stored.version,
    )
