"""The connection record: everything the core knows about one connection.

The record holds facts (when things happened, which tokens exist); the status *at a
time* is derived from it (``status_at``), never stored by an adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from attrs import field, fields, frozen, make_class

from ._secret import Secret
from ._vocabulary import Effect, InactiveReason, Status

__all__ = ["SECRET_FIELDS", "Connection", "Reconfirmation"]

# The fields of a record (and of its JSON form) that hold secrets: stores encrypt these.
SECRET_FIELDS = ("state", "code_verifier", "code", "access_token", "refresh_token")


@frozen
class Reconfirmation:
    """Evidence that the user reconfirmed consent (R9): when, and how."""

    at: datetime
    evidence: str


# No weak-reference slot: nothing holds a record weakly, and without it a record and its
# draft (below) have the same slots, which is what lets a draft become a record.
@frozen(weakref_slot=False)
class Connection:
    """One connection's record. Frozen; every change is a new record.

    Attributes:
        region: a key of the policy's region table (R7).
        scopes: the scopes asked for on the link (R1).
        offline_access: asked for, until the exchange says whether it was granted (R4).
        status: the status as of ``last_input_at``; use ``status_at`` for any other time.
        inactive_reason: set iff ``status`` is ``inactive``.
        started_at: when the connection started (``connection_started``).
        consent_started_at: start of the consent clock: start, extension or re-auth (R8).
        last_input_at: the time of the last input applied; inputs never go back in time.
        reported_consent_expires_at: what ``/data/v1/me`` last said of the current
            consent (R10); the consent clock ends at the earlier of the two.
        user_input_link: set while an extension waits for the user to authenticate
            again (R9), until the code of that authentication is exchanged.
    """

    region: str
    scopes: tuple[str, ...]
    offline_access: bool
    status: Status
    started_at: datetime
    consent_started_at: datetime
    last_input_at: datetime
    inactive_reason: InactiveReason | None = None
    state: Secret | None = None
    code_verifier: Secret | None = None
    code: Secret | None = None
    code_received_at: datetime | None = None
    code_used: bool = False
    access_token: Secret | None = None
    access_expires_at: datetime | None = None
    refresh_token: Secret | None = None
    refresh_received_at: datetime | None = None
    refresh_used: bool = False
    reconfirmation: Reconfirmation | None = None
    user_input_link: str | None = None
    pending: Effect | None = None
    pending_since: datetime | None = None
    last_reminder_at: datetime | None = None
    last_error: str | None = None
    reported_consent_expires_at: datetime | None = None

    @property
    def reauthenticating(self) -> bool:
        """An extension needs the user to authenticate again (R9): its link is pending."""
        return self.user_input_link is not None


_NAMES = tuple(attribute.name for attribute in fields(Connection))

# Why a draft: a frozen attrs class stores each field through ``object.__setattr__``
# (about 45 ns a field, 26 fields), which made the record copy the largest cost of a
# decision. A draft is the same slots on a mutable class, so a copy is plain slot
# stores; the finished draft then takes the record's class. CPython allows that
# assignment exactly when both classes have the same slots, which a test holds.
_Draft = make_class(
    "_Draft",
    {attribute.name: field(default=attribute.default) for attribute in fields(Connection)},
    slots=True,
    weakref_slot=False,
)


# Every decision that changes a record sets these three; they are arguments of the copy.
_DECIDED = ("status", "inactive_reason", "last_input_at")

Copy = Callable[[Connection, dict[str, Any], Status, InactiveReason | None, datetime], Connection]


def _compile_copy() -> Copy:
    # Every field spelled out once: no per-call introspection and no loop over fields.
    # ``changes`` are stored before the three decided fields, so those always win.
    kept = [name for name in _NAMES if name not in _DECIDED]
    copies = "".join(f"    draft.{name} = record.{name}\n" for name in kept)
    source = (
        "def copy(record, changes, status, inactive_reason, last_input_at):\n"
        "    draft = new(Draft)\n"
        f"{copies}"
        "    for name, value in changes.items():\n"
        "        setattr(draft, name, value)\n"
        "    draft.status = status\n"
        "    draft.inactive_reason = inactive_reason\n"
        "    draft.last_input_at = last_input_at\n"
        "    become(draft, '__class__', Connection)\n"
        "    return draft\n"
    )
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "become": object.__setattr__,
        "Draft": _Draft,
        "Connection": Connection,
    }
    exec(compile(source, "<lifecycle copy>", "exec"), namespace)  # noqa: S102 - static source
    compiled: Copy = namespace["copy"]
    return compiled


_copy = _compile_copy()
"""The record copy: ``changes`` name record fields (an evolver's, held to it by a test)."""
