"""What the commands say about a connection, as JSON-ready data.

Built from whatever the core returns, field by field (a decision's fields, the
``Deadlines`` and ``AgendaItem`` attributes), so that a field the core gains shows up in
every command's JSON output without a change here. Secrets never appear: a ``Secret``
is shown by its fingerprint only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import attrs

import lifecycle as core

__all__ = ["decision_report", "jsonable", "state_report"]


def jsonable(value: Any) -> Any:
    """The JSON form of a value the core returns (enums by value, times in ISO 8601)."""
    if isinstance(value, core.Secret):
        return f"sha256:{value.fingerprint}"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if attrs.has(type(value)):
        names = [field.name for field in attrs.fields(type(value))]
        return {name: jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [jsonable(item) for item in value]
    return value


def state_report(record: core.Connection, at: datetime, policy: core.Policy) -> dict[str, Any]:
    """A record's status, inactive reason, deadlines and agenda at ``at``."""
    status, inactive_reason = core.status_at(record, at, policy)
    return {
        "status": jsonable(status),
        "inactive_reason": jsonable(inactive_reason),
        # R15: the request in flight that the next answer must answer, if any.
        "request": jsonable(record.request),
        "reauthenticating": record.reauthenticating,
        "deadlines": jsonable(core.deadlines(record, at, policy)),
        "agenda": [jsonable(item) for item in core.agenda(record, at, policy)],
    }


def decision_report(
    input: core.Input, decision: core.Decision, policy: core.Policy
) -> dict[str, Any]:
    """What the core decided about one input, and the record at the input's time."""
    report: dict[str, Any] = {"at": input.at.isoformat(), "type": input.TYPE}
    for field in attrs.fields(core.Decision):
        if field.name != "record":
            report[field.name] = jsonable(getattr(decision, field.name))
    return report | state_report(decision.record, input.at, policy)
