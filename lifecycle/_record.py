"""The connection record: everything the core knows about one connection.

The record holds facts (when things happened, which tokens exist); the status *at a
time* is derived from it (``status_at``), never stored by an adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from attrs import fields, frozen

from ._secret import Secret
from ._vocabulary import Effect, InactiveReason, Status

__all__ = ["SECRET_FIELDS", "Connection", "Reconfirmation", "replace"]

# The fields of a record (and of its JSON form) that hold secrets: stores encrypt these.
SECRET_FIELDS = ("state", "code_verifier", "code", "access_token", "refresh_token")


@frozen
class Reconfirmation:
    """Evidence that the user reconfirmed consent (R9): when, and how."""

    at: datetime
    evidence: str


@frozen
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
    reauthenticating: bool = False
    user_input_link: str | None = None
    pending: Effect | None = None
    pending_since: datetime | None = None
    last_reminder_at: datetime | None = None
    last_error: str | None = None
    reported_consent_expires_at: datetime | None = None


_NAMES = tuple(attribute.name for attribute in fields(Connection))


def _compile_replace() -> Callable[[Connection, dict[str, Any]], Connection]:
    # One positional call with every field spelled out: no per-call introspection, no
    # loop. This is the one allocation on the decision hot path; attrs.evolve costs
    # about twice as much for the same record.
    arguments = ", ".join(f"get({name!r}, record.{name})" for name in _NAMES)
    source = f"def replace(record, changes):\n    get = changes.get\n    return cls({arguments})\n"
    namespace: dict[str, Any] = {"cls": Connection}
    exec(compile(source, "<lifecycle replace>", "exec"), namespace)  # noqa: S102 - static source
    compiled: Callable[[Connection, dict[str, Any]], Connection] = namespace["replace"]
    return compiled


_replace = _compile_replace()


def replace(record: Connection, changes: dict[str, Any]) -> Connection:
    """A copy of ``record`` with ``changes`` applied (``attrs.evolve``, faster).

    Raises:
        TypeError: a change names no field of the record.
    """
    if not changes.keys() <= _FIELD_SET:
        raise TypeError(f"Connection has no field(s) {sorted(changes.keys() - _FIELD_SET)}")
    return _replace(record, changes)


_FIELD_SET = frozenset(_NAMES)
