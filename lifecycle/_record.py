"""The connection record: everything the core knows about one connection.

The record holds facts (when things happened, which tokens exist), grouped into small
frozen parts that change together: the outstanding link, the code in hand, the grant
with its tokens, the request in flight, the consent. A decision replaces a few parts
(``attrs.evolve``); the status *at a time* is derived from the record (``status_at``),
never stored by an adapter.
"""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from ._secret import Secret
from ._vocabulary import Effect, InactiveReason, Status

__all__ = [
    "SECRET_FIELDS",
    "SECRET_PATHS",
    "Code",
    "Connection",
    "Consent",
    "Grant",
    "Link",
    "Reauthentication",
    "Reconfirmation",
    "Request",
]

# The fields of an input's JSON form that hold secrets: stores encrypt these.
SECRET_FIELDS = ("state", "code_verifier", "code", "access_token", "refresh_token")

# Where a record's JSON form (schema_version 3) holds secrets: (part, field).
SECRET_PATHS = (
    ("link", "state"),
    ("link", "code_verifier"),
    ("code", "value"),
    ("code", "code_verifier"),
    ("grant", "access_token"),
    ("grant", "refresh_token"),
)


@frozen
class Reconfirmation:
    """Evidence that the user reconfirmed consent (R9): when, and how.

    ``spent`` once an extension used it: one reconfirmation pays for one extension.
    """

    at: datetime
    evidence: str
    spent: bool = False


@frozen
class Link:
    """A callback link that is outstanding (R14): a callback is accepted only while one is.

    Attributes:
        issued_at: when the link was made (``link_issued``) or handed to us by TrueLayer.
        state: the ``state`` our link carries; ``None`` for TrueLayer's
            ``user_input_link`` used as it is (it carries none of ours).
        code_verifier: the PKCE verifier of our link (R1).
    """

    issued_at: datetime
    state: Secret | None = None
    code_verifier: Secret | None = None


@frozen
class Code:
    """An authorisation code between the callback and its exchange (R3).

    Attributes:
        value: the code itself; single use.
        received_at: when the callback brought it; its 5-minute clock starts here.
        code_verifier: the PKCE verifier of the link it came back through.
    """

    value: Secret
    received_at: datetime
    code_verifier: Secret | None = None


@frozen
class Grant:
    """The tokens in hand and their clocks (R4, R5, R6).

    Attributes:
        access_token: the last access token; every earlier one is void (R5).
        access_expires_at: when it expires, counted from when its request was sent.
        refresh_token: present iff ``offline_access`` was granted (R4).
        refresh_received_at: start of the refresh token's first-use window (R6).
        refresh_used: whether a refresh with it was sent (then it has no window).
    """

    access_token: Secret | None = None
    access_expires_at: datetime | None = None
    refresh_token: Secret | None = None
    refresh_received_at: datetime | None = None
    refresh_used: bool = False


@frozen
class Request:
    """The one request in flight that may change what TrueLayer holds (R15).

    Attributes:
        effect: what was asked for (an exchange, a refresh, an extension, a deletion).
        number: its number, counted in the record; an answer names it.
        sent_at: when the core handed it out; answers are judged by this time.
        outcome_unknown: the shell said it cannot tell whether it took effect; it is
            then unresolved at once, without waiting for the policy's time limit.
    """

    effect: Effect
    number: int
    sent_at: datetime
    outcome_unknown: bool = False


@frozen
class Reauthentication:
    """An extension asked the user to authenticate again (R9), not yet done.

    Attributes:
        requested_at: when extend answered ``authentication_needed``.
        user_input_link: TrueLayer's link for the user.
    """

    requested_at: datetime
    user_input_link: str


@frozen
class Consent:
    """The consent and its clock (R7-R10).

    Attributes:
        started_at: start of the consent clock: the exchange, an extension or a
            re-authentication (R8).
        reported_expires_at: what ``/data/v1/me`` last said of this consent (R10); the
            clock ends at the earlier of the two.
        reconfirmation: the last reconfirmation (R9), with its evidence.
        last_reminder_at: when the user was last reminded to reconfirm.
    """

    started_at: datetime
    reported_expires_at: datetime | None = None
    reconfirmation: Reconfirmation | None = None
    last_reminder_at: datetime | None = None


@frozen
class Connection:
    """One connection's record. Frozen; every change is a new record.

    Attributes:
        region: a key of the policy's region table (R7).
        scopes: the scopes asked for on the link (R1).
        offline_access: asked for, until the exchange says whether it was granted (R4).
        status: the status as of ``last_input_at``; use ``status_at`` for any other time.
        started_at: when the connection started (``connection_started``).
        last_input_at: the time of the last input applied; inputs never go back in time.
        consent: the consent clock and its reconfirmation.
        inactive_reason: set iff ``status`` is ``inactive``.
        link: the callback link outstanding, if any (R14).
        code: the code awaiting its exchange, if any (R3).
        grant: the tokens, once an exchange answered.
        request: the request in flight, if any (R15).
        requests_sent: how many requests the core has handed out; numbers the next one.
        reauthentication: set while an extension waits for the user (R9).
        last_error: the last error TrueLayer or the user reported.
    """

    region: str
    scopes: tuple[str, ...]
    offline_access: bool
    status: Status
    started_at: datetime
    last_input_at: datetime
    consent: Consent
    inactive_reason: InactiveReason | None = None
    link: Link | None = None
    code: Code | None = None
    grant: Grant = Grant()
    request: Request | None = None
    requests_sent: int = 0
    reauthentication: Reauthentication | None = None
    last_error: str | None = None

    @property
    def reauthenticating(self) -> bool:
        """An extension needs the user to authenticate again (R9)."""
        return self.reauthentication is not None
