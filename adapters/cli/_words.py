"""Table cells in plain words: times, outcomes, statuses and the next deadline.

Each function takes one JSON object as the commands print it (``_report``) and reads
only the fields it needs, so a field the core gains changes nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["duration", "effects", "next_deadline", "outcome", "status", "when"]

# What each deadline means, for a person; a deadline not named here shows its own name.
_DEADLINES = {
    "code_expires_at": "code expires",
    "access_expires_at": "access token expires",
    "refresh_use_by": "refresh token must be used",
    "consent_expires_at": "consent expires",
    "extend_until": "extension window closes",
}


def when(value: str | None) -> str:
    """An ISO 8601 time as ``2026-01-05 09:00:00``, keeping any offset other than UTC."""
    if value is None:
        return "-"
    text = value.replace("T", " ")
    return text.removesuffix("+00:00").removesuffix("Z")


def duration(seconds: float) -> str:
    """A length of time in its two largest units: ``29d 23h``, ``4m 30s``."""
    left = int(abs(seconds))
    parts: list[str] = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if left >= size or (unit == "s" and not parts):
            parts.append(f"{left // size}{unit}")
            left %= size
    return " ".join(parts[:2])


def outcome(report: Mapping[str, Any]) -> str:
    """``accepted``, or ``refused: REASON``."""
    if report.get("accepted", True):
        return "accepted"
    return f"refused: {report.get('reason')}"


def status(report: Mapping[str, Any]) -> str:
    """The status, with the reason when inactive: ``inactive (revoked)``."""
    reason = report.get("inactive_reason")
    name = str(report.get("status", report.get("status_after", "-")))
    return name if reason is None else f"{name} ({reason})"


def effects(report: Mapping[str, Any]) -> str:
    """What the shell must do, comma separated (``-`` for nothing)."""
    return ", ".join(report.get("effects") or ()) or "-"


def next_deadline(report: Mapping[str, Any], at: str | None = None) -> str:
    """The earliest deadline still ahead at ``at`` (default: the report's ``at``)."""
    now = datetime.fromisoformat(at or report["at"])
    ahead = [
        (datetime.fromisoformat(value), name)
        for name, value in (report.get("deadlines") or {}).items()
        if value is not None and datetime.fromisoformat(value) > now
    ]
    if not ahead:
        return "-"
    due, name = min(ahead)
    label = _DEADLINES.get(name, name.replace("_", " "))
    return f"{label} in {duration((due - now).total_seconds())}"
