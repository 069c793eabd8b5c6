"""The callback (R2): the user's browser comes back with a code, or with an error.

The input is hostile until checked: it arrives from the user's browser and anyone can
forge it. ``parse_callback`` accepts only a well-formed callback whose ``state`` matches
the attempt's (R14), and its errors name parameters, never their values.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from attrs import frozen

import lifecycle

__all__ = [
    "Callback",
    "CallbackCode",
    "CallbackError",
    "MalformedCallback",
    "StateMismatch",
    "callback_parameters",
    "parse_callback",
]

MAX_CALLBACK = 8192  # bytes of query or body; a real callback is a few hundred
_LIMITS = {"code": 2048, "state": 512, "scope": 512, "error": 128, "error_description": 1024}
_KNOWN = frozenset(_LIMITS) | {"error_uri", "tracking_id"}
# RFC 6749 §4.1.2.1: error codes are printable ASCII without '"' and '\'.
_ERROR_CODE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")


class MalformedCallback(ValueError):
    """The callback is not one TrueLayer sends: missing, repeated or hostile parameters.

    The message names the problem and the parameter, never a value.
    """


class StateMismatch(MalformedCallback):
    """The callback's ``state`` is not the one issued with the link (R14: possible CSRF)."""


@frozen
class CallbackCode:
    """The user allowed access (R2): a code to exchange within 5 minutes (R3).

    Attributes:
        code: the authorization code; single use (R3).
        state: the state that came back, already checked.
        scope: the scopes the user granted, when the callback says.
    """

    code: lifecycle.Secret
    state: lifecycle.Secret
    scope: tuple[str, ...] = ()

    def to_event(self, at: datetime) -> lifecycle.UserAuthorised:
        """The core event: ``UserAuthorised`` (R2); the code clock starts at ``at`` (R3).

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        return lifecycle.UserAuthorised(at, code=self.code, state=self.state)


@frozen
class CallbackError:
    """The user declined, or the dialog failed (R2): e.g. ``access_denied``.

    Attributes:
        error: the OAuth error code.
        description: the human description, when given.
        state: the state that came back, already checked.
    """

    error: str
    description: str | None
    state: lifecycle.Secret

    def to_event(self, at: datetime) -> lifecycle.UserDenied:
        """The core event: ``UserDenied`` (R2).

        Raises:
            lifecycle.NaiveDatetimeError: ``at`` has no UTC offset.
        """
        return lifecycle.UserDenied(at, error=self.error, state=self.state)


Callback = CallbackCode | CallbackError


def _query_part(text: str) -> str:
    # A whole redirect URL is accepted too (what a browser shows); its query is the callback.
    if text.startswith(("http://", "https://")):
        return urlsplit(text).query
    return text.removeprefix("?")


def _fields(query_or_body: str) -> dict[str, str]:
    if not isinstance(query_or_body, str):
        raise MalformedCallback("the callback must be given as a str (query string or body)")
    if len(query_or_body) > MAX_CALLBACK:
        raise MalformedCallback(f"the callback is longer than {MAX_CALLBACK} characters")
    try:
        pairs = parse_qsl(
            _query_part(query_or_body),
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=32,
        )
    except ValueError:
        raise MalformedCallback("the callback is not a well-formed query string") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name not in _KNOWN:
            continue  # unknown extras are ignored, and never echoed
        if name in fields:
            raise MalformedCallback(f"the callback repeats the parameter {name!r}")
        if len(value) > _LIMITS.get(name, 1024):
            raise MalformedCallback(f"the callback's {name!r} is too long")
        if not value.isprintable():
            raise MalformedCallback(f"the callback's {name!r} contains control characters")
        fields[name] = value
    return fields


def callback_parameters(query_or_body: str) -> dict[str, str]:
    """The known parameters of a callback, checked for shape but not for its ``state``.

    For a service that finds the attempt *by* its state (R14) before it can compare it;
    the same limits as ``parse_callback`` apply.

    Raises:
        MalformedCallback: too long, not a query string, a parameter repeated, too long
            or with control characters.
    """
    return _fields(query_or_body)


def _check_state(fields: dict[str, str], expected_state: lifecycle.Secret) -> lifecycle.Secret:
    given = fields.get("state")
    if not given:
        raise MalformedCallback("the callback has no 'state'; links always carry one (R14)")
    # R14: compare in constant time, so the expected state cannot be guessed byte by byte.
    if not hmac.compare_digest(given.encode(), expected_state.reveal().encode()):
        raise StateMismatch("the callback's 'state' is not the one issued with the link")
    return lifecycle.Secret(given)


def parse_callback(query_or_body: str, expected_state: lifecycle.Secret) -> Callback:
    """Parse the callback of one attempt (R2) and check its ``state`` (R14).

    Args:
        query_or_body: the query string of the redirect (with or without ``?``, or the
            whole redirect URL), or the ``application/x-www-form-urlencoded`` body of a
            ``response_mode=form_post`` callback.
        expected_state: ``AuthLink.state`` of the attempt bound to this user's session.

    Returns:
        ``CallbackCode`` when the user allowed access, ``CallbackError`` when not. Feed
        ``callback.to_event(now)`` to the core.

    Raises:
        MalformedCallback: too long, not a query string, a parameter repeated, too long
            or with control characters, no ``state``, no ``code`` and no ``error``, or both.
        StateMismatch: the ``state`` differs from ``expected_state``.
    """
    fields = _fields(query_or_body)
    state = _check_state(fields, expected_state)
    code, error = fields.get("code"), fields.get("error")
    if code is not None and error is not None:
        raise MalformedCallback("the callback has both 'code' and 'error'")
    if error is not None:
        if not _ERROR_CODE.fullmatch(error):
            raise MalformedCallback("the callback's 'error' is not an OAuth error code")
        return CallbackError(error, fields.get("error_description") or None, state)
    if not code:
        raise MalformedCallback("the callback has neither 'code' nor 'error'")
    return CallbackCode(lifecycle.Secret(code), state, tuple(fields.get("scope", "").split()))
