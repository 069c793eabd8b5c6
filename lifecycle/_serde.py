"""The one converter that owns the JSON form of records and inputs.

A record's JSON carries ``schema_version`` (written: ``SCHEMA_VERSION``; older versions
are read and upgraded, so stored records need no migration); an input's JSON is
``{"at": "<ISO-8601 with offset>", "type": "<input>", ...fields}`` (the replay format).
Secrets are plain strings in JSON: stores encrypt the ``SECRET_FIELDS`` before writing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, get_args

from attrs import fields, has, resolve_types
from cattrs import Converter, transform_error
from cattrs.errors import BaseValidationError
from cattrs.v import format_exception

from ._errors import (
    LifecycleError,
    MalformedInputError,
    TimeOutOfRangeError,
    UnsupportedSchemaVersionError,
)
from ._inputs import INPUT_TYPES, Input, ensure_aware
from ._limits import EARLIEST, LATEST_IN_RECORD
from ._record import Connection
from ._secret import Secret

__all__ = [
    "SCHEMA_VERSION",
    "converter",
    "input_from_json",
    "input_to_json",
    "record_from_json",
    "record_to_json",
]

SCHEMA_VERSION = 3
"""The version of the record's JSON form that ``record_to_json`` writes."""

converter = Converter(forbid_extra_keys=True)


def _structure_datetime(value: object, _: type) -> datetime:
    if not isinstance(value, str):
        raise MalformedInputError("a time must be an ISO-8601 string with an offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedInputError(f"not an ISO-8601 time: {value[:40]!r}") from None
    return ensure_aware("time", parsed)


def _structure_secret(value: object, _: type) -> Secret:
    if not isinstance(value, str) or not value:
        # Say nothing of the value itself: it may be a secret.
        raise MalformedInputError("a secret must be a non-empty string")
    return Secret(value)


def _structure_text(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise MalformedInputError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedInputError(f"expected a whole number, got {type(value).__name__}")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise MalformedInputError(f"expected true or false, got {type(value).__name__}")
    return value


converter.register_unstructure_hook_func(
    lambda cls: isinstance(cls, type) and issubclass(cls, Enum), lambda member: member.value
)
converter.register_unstructure_hook(datetime, datetime.isoformat)
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(Secret, Secret.reveal)
converter.register_structure_hook(Secret, _structure_secret)


def _structure_enum(value: object, cls: type[Enum]) -> Enum:
    try:
        return cls(value)
    except ValueError:
        known = ", ".join(str(member.value) for member in cls)
        raise MalformedInputError(
            f"{str(value)[:40]!r} is not a {cls.__name__} (one of: {known})"
        ) from None


# These dispatch on the class's MRO: StrEnum must be registered, or the str hook would
# read a status as a plain string.
converter.register_structure_hook(str, _structure_text)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook(StrEnum, _structure_enum)


def _structure_strings(value: object, _: type) -> tuple[str, ...]:
    # JSON says a list of strings; an object or a string iterates too, but means nothing.
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise MalformedInputError("scopes must be a list of strings")
    return tuple(value)


converter.register_structure_hook_func(lambda cls: cls == tuple[str, ...], _structure_strings)


def _format(error: BaseException, cls: type | None) -> str:
    # Our own hooks and validators already speak plainly (and never echo secrets).
    if isinstance(error, LifecycleError):
        return str(error)
    return format_exception(error, cls)


def _explain(error: Exception) -> str:
    if isinstance(error, BaseValidationError):
        return "; ".join(transform_error(error, format_exception=_format))
    return str(error)


def record_to_json(record: Connection) -> dict[str, Any]:
    """The persisted JSON form of a record, with its ``schema_version``."""
    data: dict[str, Any] = converter.unstructure(record)
    return {"schema_version": SCHEMA_VERSION, **data}


def _from_version_1(fields: dict[str, Any]) -> dict[str, Any]:
    # Version 1 kept ``reauthenticating`` beside ``user_input_link``; version 2 derives
    # it (a link is pending exactly while the user must authenticate again). A stored
    # record in which the two disagree was not written by this library.
    reauthenticating = fields.pop("reauthenticating", False)
    if reauthenticating is not (fields.get("user_input_link") is not None):
        raise MalformedInputError(
            "bad record: reauthenticating (schema_version 1) disagrees with user_input_link"
        )
    return _from_version_2(fields)


def _from_version_2(flat: dict[str, Any]) -> dict[str, Any]:
    # Version 2 was flat; version 3 groups the fields into parts (``_record``). Facts
    # version 2 did not keep are taken from what it did: a link's issue time and a
    # re-authentication's request time are the last input's time, and the request in
    # flight is request 1. A reconfirmation counted for an extension when it was at
    # least as new as the consent: it stays unspent exactly then.
    known = {
        "region", "scopes", "offline_access", "status", "started_at", "consent_started_at",
        "last_input_at", "inactive_reason", "state", "code_verifier", "code",
        "code_received_at", "code_used", "access_token", "access_expires_at",
        "refresh_token", "refresh_received_at", "refresh_used", "reconfirmation",
        "user_input_link", "pending", "pending_since", "last_reminder_at", "last_error",
        "reported_consent_expires_at",
    }  # fmt: skip
    extra = sorted(set(flat) - known)
    if extra:
        raise MalformedInputError(f"bad record: unknown fields {', '.join(extra)[:80]}")
    get = flat.get
    last = get("last_input_at")
    fields: dict[str, Any] = {
        name: flat[name]
        for name in ("region", "scopes", "offline_access", "status", "started_at",
                     "last_input_at", "inactive_reason", "last_error")
        if name in flat
    }  # fmt: skip
    reconfirmation = get("reconfirmation")
    if isinstance(reconfirmation, Mapping):
        at, started = reconfirmation.get("at"), get("consent_started_at")
        spent = isinstance(at, str) and isinstance(started, str) and _before(at, started)
        reconfirmation = {**reconfirmation, "spent": spent}
    fields["consent"] = {
        "started_at": get("consent_started_at"),
        "reported_expires_at": get("reported_consent_expires_at"),
        "reconfirmation": reconfirmation,
        "last_reminder_at": get("last_reminder_at"),
    }
    if get("code") is not None:
        fields["code"] = {
            "value": get("code"),
            "received_at": get("code_received_at"),
            "code_verifier": get("code_verifier"),
        }
    if get("state") is not None:
        verifier = None if get("code") is not None else get("code_verifier")
        fields["link"] = {"issued_at": last, "state": get("state"), "code_verifier": verifier}
    if get("user_input_link") is not None:
        fields["reauthentication"] = {
            "requested_at": last,
            "user_input_link": get("user_input_link"),
        }
        fields.setdefault("link", {"issued_at": last, "state": None, "code_verifier": None})
    fields["grant"] = {
        "access_token": get("access_token"),
        "access_expires_at": get("access_expires_at"),
        "refresh_token": get("refresh_token"),
        "refresh_received_at": get("refresh_received_at"),
        "refresh_used": get("refresh_used", False),
    }
    if get("pending") is not None:
        fields["request"] = {"effect": get("pending"), "number": 1, "sent_at": get("pending_since")}
        fields["requests_sent"] = 1
    return fields


def _before(first: str, second: str) -> bool:
    try:
        return datetime.fromisoformat(first) < datetime.fromisoformat(second)
    except (TypeError, ValueError):
        return False  # the converter reports the malformed time itself


# Older JSON forms that are still read, each upgraded to the current one.
_UPGRADES = {1: _from_version_1, 2: _from_version_2}


def record_from_json(data: Mapping[str, Any]) -> Connection:
    """Read a record back from its JSON form.

    Raises:
        UnsupportedSchemaVersionError: written by a schema this version cannot read.
        MalformedInputError: anything else is wrong with it.
    """
    if not isinstance(data, Mapping):
        raise MalformedInputError("a record must be a JSON object")
    fields = dict(data)
    version = fields.pop("schema_version", None)
    if type(version) is not int:  # not a bool, not 2.0: JSON says exactly 2
        raise UnsupportedSchemaVersionError(version, (*_UPGRADES, SCHEMA_VERSION))
    if version in _UPGRADES:
        fields = _UPGRADES[version](fields)
    elif version != SCHEMA_VERSION:
        raise UnsupportedSchemaVersionError(version, (*_UPGRADES, SCHEMA_VERSION))
    try:
        record = converter.structure(fields, Connection)
    except (BaseValidationError, ValueError, TypeError, KeyError) as error:
        raise MalformedInputError(f"bad record: {_explain(error)}") from None
    _check_times(record)
    return record


def _time_paths(cls: type) -> tuple[tuple[str, ...], ...]:
    # Where a record keeps times, in its parts too, read off the declared field types
    # once (a record is read on every store read; walking every field of every part at
    # each read cost a third of the decoding).
    paths: list[tuple[str, ...]] = []
    for attribute in fields(resolve_types(cls)):
        kinds = get_args(attribute.type) or (attribute.type,)
        if datetime in kinds:
            paths.append((attribute.name,))
        for kind in kinds:
            if isinstance(kind, type) and has(kind):
                paths.extend((attribute.name, *path) for path in _time_paths(kind))
    return tuple(paths)


_TIME_PATHS = _time_paths(Connection)


def _check_times(record: Connection) -> None:
    # A corrupt row must not reach a decision whose arithmetic would fail (``_limits``).
    for path in _TIME_PATHS:
        value: Any = record
        for name in path:
            value = getattr(value, name)
            if value is None:
                break
        if isinstance(value, datetime) and not EARLIEST <= value < LATEST_IN_RECORD:
            raise TimeOutOfRangeError(f"record {'.'.join(path)}", EARLIEST, LATEST_IN_RECORD)


def input_to_json(input: Input) -> dict[str, Any]:
    """The JSON form of an input: ``at``, ``type``, then its own fields."""
    fields: dict[str, Any] = converter.unstructure(input)
    at = fields.pop("at")
    return {"at": at, "type": input.TYPE, **{k: v for k, v in fields.items() if v is not None}}


def input_from_json(data: Mapping[str, Any]) -> Input:
    """Build an input from its JSON form.

    Raises:
        MalformedInputError: unknown ``type``, missing or extra fields, a naive or
            malformed ``at``, a value of the wrong kind.
    """
    if not isinstance(data, Mapping):
        raise MalformedInputError("an input must be a JSON object")
    fields = dict(data)
    kind = fields.pop("type", None)
    if not isinstance(kind, str) or kind not in INPUT_TYPES:
        raise MalformedInputError(f"unknown input type {str(kind)[:40]!r}")
    if "at" not in fields:
        raise MalformedInputError(f"{kind}: missing 'at'")
    try:
        return converter.structure(fields, INPUT_TYPES[kind])
    except LifecycleError as error:
        raise MalformedInputError(f"{kind}: {error}") from None
    except (BaseValidationError, ValueError, TypeError, KeyError) as error:
        raise MalformedInputError(f"{kind}: {_explain(error)}") from None
