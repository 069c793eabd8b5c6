"""What the service's methods return: plain frozen values, never a record to keep."""

from __future__ import annotations

from datetime import datetime

from attrs import field, frozen

import lifecycle as core

__all__ = ["Begun", "CallbackOutcome", "ExtendOutcome", "StatusView"]


@frozen
class Begun:
    """A new connection and its auth link (R1, R14): send the user to ``url``.

    Attributes:
        connection_id: the service's id for the connection.
        url: the auth link, with a fresh ``state`` and PKCE challenge; single use.
    """

    connection_id: str
    url: str = field(repr=False)


@frozen
class CallbackOutcome:
    """What a callback came to.

    Attributes:
        connection_id: the connection the callback belonged to.
        status: its status after the callback (``active`` when the code was exchanged).
        connected: the code was exchanged and the connection is active.
        error: the user's or the bank's error, when not connected.
        repeated: the callback had been handled already (a reload, a second tab): this
            is the stored outcome, and nothing was exchanged.
    """

    connection_id: str
    status: core.Status
    connected: bool
    error: str | None = None
    repeated: bool = False


@frozen
class ExtendOutcome:
    """What extend came to (R9).

    Attributes:
        extended: the consent was extended (``no_action_needed``).
        user_input_link: when the user must re-authenticate: send them there; the
            callback comes back to ``handle_callback(query, connection_id=...)``.
        error: when nothing changed (``reconfirmation_of_consent_needed``).
    """

    extended: bool
    user_input_link: str | None = field(default=None, repr=False)
    error: str | None = None


@frozen
class StatusView:
    """A connection as it stands at ``at``: what the service knows, derived by the core.

    Attributes:
        connection_id: the connection.
        at: the time of the view.
        status: the status at ``at``.
        inactive_reason: why it is inactive, or ``None``.
        deadlines: the deadlines that apply.
        agenda: what is due next, earliest first.
        reauthenticating: an extension waits for the user to authenticate again (R9).
        request: the request in flight, if any (R15).
        version: the stored version (the number of inputs recorded).
    """

    connection_id: str
    at: datetime
    status: core.Status
    inactive_reason: core.InactiveReason | None
    deadlines: core.Deadlines
    agenda: tuple[core.AgendaItem, ...]
    reauthenticating: bool
    request: core.Request | None
    version: int
