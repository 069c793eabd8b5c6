"""The words of the domain: statuses, inactive reasons, refusal reasons, effects, actions.

All are ``StrEnum`` so that their value is the name used in JSON (the replay format, the
stores, the diagrams) and in Python alike.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Action", "Effect", "InactiveReason", "Kind", "Reason", "Status"]


class Status(StrEnum):
    """The four statuses of a connection, as the guide names them."""

    AUTHORIZATION_REQUIRED = "authorization_required"
    AUTHORIZED = "authorized"
    ACTIVE = "active"
    INACTIVE = "inactive"


class InactiveReason(StrEnum):
    """Why an ``inactive`` connection is inactive."""

    CONSENT_EXPIRED = "consent_expired"  # R7/R8: the lifetime has passed
    REFRESH_TOKEN_LAPSED = "refresh_token_lapsed"  # R6: never used within 30 days
    REFRESH_REJECTED = "refresh_rejected"  # R6/R13: invalid_grant on refresh
    ACCESS_DENIED = "access_denied"  # R11: 403 access_denied on a data call
    REVOKED = "revoked"  # R12: deleted; only a new connection helps
    TOKEN_LOST = "token_lost"  # R15: a request's answer (a rotated token) never came back


class Kind(StrEnum):
    """What sort of input a table row answers."""

    EVENT = "event"  # a fact reported by the shell; moves the record
    COMMAND = "command"  # an intent; answered with effects or a refusal
    TIME = "time"  # a transition that only the passing of time causes


class Reason(StrEnum):
    """Why an input was refused. The record is unchanged whenever one is given."""

    NOT_ALLOWED_IN_STATUS = "not_allowed_in_status"
    CLOCK_WENT_BACKWARDS = "clock_went_backwards"
    STATE_MISMATCH = "state_mismatch"
    NO_CODE = "no_code"
    CODE_EXPIRED = "code_expired"
    CODE_USED = "code_used"
    NO_OFFLINE_ACCESS = "no_offline_access"
    REFRESH_TOKEN_LAPSED = "refresh_token_lapsed"
    CONSENT_EXPIRED = "consent_expired"
    NOT_ACTIVE = "not_active"
    REGION_NOT_EXTENDABLE = "region_not_extendable"
    CONSENT_NOT_RECONFIRMED = "consent_not_reconfirmed"
    REVOKED = "revoked"
    TOKEN_LOST = "token_lost"
    EXTEND_WINDOW_CLOSED = "extend_window_closed"
    ACCESS_TOKEN_EXPIRED = "access_token_expired"
    REQUEST_IN_FLIGHT = "request_in_flight"
    REQUEST_UNRESOLVED = "request_unresolved"
    NO_REQUEST_IN_FLIGHT = "no_request_in_flight"
    NOT_THE_REQUEST_IN_FLIGHT = "not_the_request_in_flight"
    NO_LINK_OUTSTANDING = "no_link_outstanding"
    NOT_REAUTHENTICATING = "not_reauthenticating"


class Effect(StrEnum):
    """What the shell must do after an accepted command."""

    EXCHANGE_CODE = "exchange_code"  # R4
    REFRESH_TOKEN = "refresh_token"  # R6
    EXTEND_CONNECTION = "extend_connection"  # R9
    FETCH_DATA = "fetch_data"  # R11
    DELETE_CONNECTION = "delete_connection"  # R12


class Action(StrEnum):
    """What the agenda says is due next."""

    REFRESH_ACCESS_TOKEN = "refresh_access_token"  # R5: before the hour is up
    KEEP_REFRESH_TOKEN_ALIVE = "keep_refresh_token_alive"  # R6: before day 30
    REMIND_RECONFIRM = "remind_reconfirm"  # R9: ask the user before consent expiry
    RESOLVE_REQUEST = "resolve_request"  # R15: a request's outcome is unknown
    REAUTHENTICATE = "reauthenticate"  # R9: the user must follow the extension's link
    EXPIRE = "expire"  # the next time-driven transition is due
