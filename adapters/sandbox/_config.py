"""The sandbox's settings: what TrueLayer's side does, as values a test can choose.

Durations default to the documented contract (R3, R5-R9 of the glossary); facts marked
*unconfirmed* there (refresh-token rotation, the extend answer) are switches here, so the
client can be tested against every plausible behaviour.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

__all__ = ["ExtendAnswer", "Fault", "RefreshMode", "SandboxConfig"]


class RefreshMode(enum.StrEnum):
    """How the token endpoint treats a refresh token once used (R6: *unconfirmed*).

    Attributes:
        REUSABLE: the same refresh token stays valid and is returned again.
        ROTATING: every refresh returns a new refresh token; the old one is invalid at once.
        ROTATING_WITH_GRACE: like ROTATING, but the old token is still accepted for
            ``SandboxConfig.refresh_grace`` after its rotation, answering the same successor.
    """

    REUSABLE = "reusable"
    ROTATING = "rotating"
    ROTATING_WITH_GRACE = "rotating_with_grace"


class ExtendAnswer(enum.StrEnum):
    """Which ``action_needed`` the extend endpoint answers (R9)."""

    NO_ACTION_NEEDED = "no_action_needed"
    AUTHENTICATION_NEEDED = "authentication_needed"
    RECONFIRMATION_OF_CONSENT_NEEDED = "reconfirmation_of_consent_needed"


MAX_FAULT_DELAY = 3600.0
# type/subtype with optional parameters, printable ASCII only (RFC 9110 §8.3).
_CONTENT_TYPE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+[ -~]{0,200}")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _positive(name: str, value: timedelta) -> None:
    if value <= timedelta(0):
        raise ValueError(f"SandboxConfig.{name} must be a positive duration, got {value}")


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """What the sandbox serves: its one registered client and TrueLayer's durations.

    Attributes:
        client_id: the registered client's id.
        client_secret: the registered client's secret (never shown in ``repr``).
        redirect_uris: registered redirect URIs; ``{base_url}/redirect`` is always
            registered too. A loopback URI registered without a port matches any port
            (RFC 8252 §7.3), so a client may listen on an ephemeral port.
        refresh_mode: refresh-token rotation behaviour (R6).
        refresh_grace: how long a rotated refresh token stays accepted in
            ``ROTATING_WITH_GRACE`` mode.
        strict_reuse_detection: when True, presenting an already rotated refresh token
            outside the grace revokes the whole token family (RFC 9700 §4.14.2).
        start: the sandbox clock's start; must be timezone-aware.
        clock_ticks: when False (the default) the clock stands still unless told to move;
            when True it also follows real elapsed time (handy for demos).
        extend_answer: the extend endpoint's ``action_needed`` (R9).
        unauthorized_client_ids: client ids answered 401 ``unauthorized_client`` (R13).
        omit_unchanged_refresh_token: in ``REUSABLE`` mode, leave ``refresh_token`` out of
            refresh answers instead of repeating it (R6 allows both).
        code_ttl: authorization code validity (R3: 5 minutes).
        access_token_ttl: access token validity, the ``expires_in`` (R5: 1 hour).
        refresh_first_use_window: a refresh token must first be used within this (R6).
        offline_lifetime: connection lifetime with ``offline_access`` (R7, UK: 90 days).
        online_lifetime: connection lifetime without ``offline_access`` (R7: 60 minutes).
        extend_window: extend stays possible this long after the lifetime ended (R9).
        async_delay: real seconds an ``async=true`` Data API call stays queued before
            its task completes and its webhook is sent.

    Raises:
        ValueError: a field is out of range (e.g. a naive ``start``, a zero duration).
    """

    client_id: str = "sandbox-client"
    client_secret: str = field(default="sandbox-secret", repr=False)
    redirect_uris: tuple[str, ...] = ("http://127.0.0.1/callback",)
    refresh_mode: RefreshMode = RefreshMode.REUSABLE
    refresh_grace: timedelta = timedelta(seconds=60)
    strict_reuse_detection: bool = False
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    clock_ticks: bool = False
    extend_answer: ExtendAnswer = ExtendAnswer.NO_ACTION_NEEDED
    unauthorized_client_ids: frozenset[str] = frozenset()
    omit_unchanged_refresh_token: bool = False
    code_ttl: timedelta = timedelta(minutes=5)
    access_token_ttl: timedelta = timedelta(hours=1)
    refresh_first_use_window: timedelta = timedelta(days=30)
    offline_lifetime: timedelta = timedelta(days=90)
    online_lifetime: timedelta = timedelta(minutes=60)
    extend_window: timedelta = timedelta(days=90)
    async_delay: float = 0.0

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("SandboxConfig needs a non-empty client_id and client_secret")
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("SandboxConfig.start must be timezone-aware, e.g. tzinfo=UTC")
        if isinstance(self.redirect_uris, str):
            raise ValueError("SandboxConfig.redirect_uris must be a tuple of URIs, not a str")
        if self.refresh_grace < timedelta(0):
            raise ValueError("SandboxConfig.refresh_grace must not be negative")
        if not 0 <= self.async_delay <= 60:
            raise ValueError("SandboxConfig.async_delay must be between 0 and 60 seconds")
        for name in (
            "code_ttl",
            "access_token_ttl",
            "refresh_first_use_window",
            "offline_lifetime",
            "online_lifetime",
            "extend_window",
        ):
            _positive(name, getattr(self, name))
        if self.access_token_ttl.total_seconds() != int(self.access_token_ttl.total_seconds()):
            raise ValueError("SandboxConfig.access_token_ttl must be whole seconds (expires_in)")
        # Accept plain strings too (e.g. from the CLI) and fail early on unknown values.
        object.__setattr__(self, "refresh_mode", RefreshMode(self.refresh_mode))
        object.__setattr__(self, "extend_answer", ExtendAnswer(self.extend_answer))
        object.__setattr__(self, "unauthorized_client_ids", frozenset(self.unauthorized_client_ids))


@dataclass(frozen=True, slots=True)
class Fault:
    """A misbehaviour to inject into the next ``count`` calls to a path.

    Args:
        status: answer this HTTP status instead of the real answer. With no ``body``,
            the body is TrueLayer's error JSON ``{"error", "error_description"}``.
        delay: seconds to wait before answering (the real answer, unless ``status`` or
            ``body`` is set); finite, at most 3600.
        body: answer this raw body instead (status 200 unless ``status`` is set).
        content_type: the ``Content-Type`` of ``body`` (default ``application/json``);
            printable ASCII, no CR or LF.
        count: how many calls the fault applies to.
        error: the ``error`` code in the JSON body, e.g. ``"sca_exceeded"`` (R11);
            defaults by status: 401 ``invalid_token``, 403 ``access_denied``, 429
            ``provider_too_many_requests``, 5xx ``provider_error``, else ``validation_error``.

    Raises:
        ValueError: the fault would do nothing, or a field is out of range.
    """

    status: int | None = None
    delay: float = 0.0
    body: str | None = None
    content_type: str | None = None
    count: int = 1
    error: str | None = None

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("Fault.count must be at least 1")
        # NaN passes "< 0" and would then fail time.sleep and GET /_admin/faults (NaN is
        # not JSON): a delay is a finite number of seconds, at most an hour.
        if not math.isfinite(self.delay) or not 0 <= self.delay <= MAX_FAULT_DELAY:
            raise ValueError(f"Fault.delay must be 0 to {MAX_FAULT_DELAY:g} seconds")
        if self.content_type is not None and not _CONTENT_TYPE.fullmatch(self.content_type):
            # Sent as a header: CR/LF would inject headers, non-Latin-1 cannot be sent.
            raise ValueError(
                "Fault.content_type must be a media type of printable ASCII, e.g. text/html"
            )
        if self.body is not None and not _encodable(self.body):
            raise ValueError("Fault.body must be text (it holds a lone surrogate)")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"Fault.status must be an HTTP status (100-599), got {self.status}")
        if self.status is None and self.body is None and self.delay == 0:
            raise ValueError("Fault does nothing: give a status, a body or a delay")
        if self.status is not None and self.status < 400 and self.body is None:
            raise ValueError("Fault with a non-error status needs a body to answer")

    @property
    def replaces_answer(self) -> bool:
        """Whether the fault answers instead of the real handler."""
        return self.status is not None or self.body is not None

    def error_code(self) -> str:
        """The ``error`` code for the JSON body (R11's vocabulary by status)."""
        if self.error is not None:
            return self.error
        status = self.status or 200
        if status == 401:
            return "invalid_token"
        if status == 403:
            return "access_denied"
        if status == 429:
            return "provider_too_many_requests"
        if status >= 500:
            return "provider_error"
        return "validation_error"
