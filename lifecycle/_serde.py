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
from typing import Any, get_type_hints

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

SCHEMA_VERSION = 2
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
    return fields


# Older JSON forms that are still read, each upgraded to the current one.
_UPGRADES = {1: _from_version_1}


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


_RECORD_TIMES = tuple(
    name
    for name, hint in get_type_hints(Connection).items()
    if hint == datetime or hint == datetime | None
)


def _check_times(record: Connection) -> None:
    # A corrupt row must not reach a decision whose arithmetic would fail (``_limits``).
    times = [(name, getattr(record, name)) for name in _RECORD_TIMES]
    if record.reconfirmation is not None:
        times.append(("reconfirmation.at", record.reconfirmation.at))
    for name, value in times:
        if value is not None and not EARLIEST <= value < LATEST_IN_RECORD:
            raise TimeOutOfRangeError(f"record {name}", EARLIEST, LATEST_IN_RECORD)


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
