"""Rows <-> core values, shared by every store so that they cannot drift apart.

Records and inputs are stored in the core's JSON form (``lifecycle.record_to_json``,
``input_to_json``) with each ``SECRET_FIELDS`` value sealed by the keyring. Whatever a
row holds, reading it raises ``CorruptRecordError`` naming the connection, never a
stray exception and never a stored value.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from attrs import frozen

import lifecycle as core

from .._json import NotJSON, loads
from ._crypto import PREFIX, Keyring, SealError
from ._errors import CorruptRecordError, DecryptionError, MissingKeyError
from ._protocol import HistoryEntry

__all__ = [
    "MAX_ID",
    "Codec",
    "HistoryRow",
    "RecordRow",
    "check_due",
    "check_id",
    "check_lease",
    "due_in_agenda",
    "encode_agenda",
    "iso_utc",
    "parse_utc",
]

log = logging.getLogger("adapters.stores")
MAX_ID = 200
_warned_plaintext = False


def check_id(connection_id: str) -> str:
    """Return the id if a store can hold it.

    Raises:
        ValueError: not a string, empty, or longer than 200 characters.
    """
    if not isinstance(connection_id, str) or not 0 < len(connection_id) <= MAX_ID:
        raise ValueError(f"a connection id is a string of 1 to {MAX_ID} characters")
    return connection_id


def check_lease(
    owner: str, due_by: datetime, lease_until: datetime, limit: int, now: datetime
) -> tuple[datetime, datetime, datetime]:
    """The arguments of ``lease_due``, checked; returns ``due_by``, ``lease_until`` and
    ``now`` in UTC.

    Raises:
        ValueError: an empty owner, ``limit`` < 1, or a naive time.
    """
    if not isinstance(owner, str) or not owner:
        raise ValueError("lease_due needs an owner (a non-empty string)")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError("lease_due needs a limit of at least 1")
    return utc(due_by, "due_by"), utc(lease_until, "lease_until"), utc(now, "now")


def check_due(due_by: datetime, limit: int, now: datetime) -> tuple[datetime, datetime]:
    """The arguments of ``due``, checked; returns ``due_by`` and ``now`` in UTC.

    Raises:
        ValueError: ``limit`` < 1, or a naive time.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError("due needs a limit of at least 1")
    return utc(due_by, "due_by"), utc(now, "now")


def utc(value: datetime, name: str = "time") -> datetime:
    """``value`` in UTC. Raises ValueError for a naive time (it cannot be ordered)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """Fixed-width UTC text (``2026-01-05T09:00:00.000000Z``): sorts as time sorts."""
    return utc(value).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_utc(text: str) -> datetime:
    """The inverse of :func:`iso_utc`."""
    return datetime.fromisoformat(text).astimezone(UTC)


@frozen
class RecordRow:
    """A record ready to write: JSON text with sealed secrets, and its index columns."""

    record: str
    status: str
    next_due: datetime | None
    key_id: str | None
    agenda: str


@frozen
class HistoryRow:
    """A history entry ready to write."""

    seq: int
    at: datetime
    input_type: str
    input: str
    accepted: bool
    reason: str | None
    effects: str
    status_after: str
    key_id: str | None
    recorded_at: datetime


def encode_agenda(items: Sequence[core.AgendaItem]) -> str:
    """The text of a standing agenda: ``due action;due action``, each due as ``iso_utc``
    (none: empty), read back for every connection a worker leases: the plainest text
    that a split reads."""
    return ";".join(f"{iso_utc(item.due)} {item.action.value}" for item in items)


_ACTIONS = {action.value: action for action in core.Action}
_ISO_WIDTH = len(iso_utc(datetime(2026, 1, 5, tzinfo=UTC)))


@functools.cache
def _in_order(due: tuple[core.Action, ...]) -> tuple[core.Action, ...]:
    # A batch of connections has few kinds of "what is due": each ordered once.
    return core.worker_order(due)


def due_in_agenda(connection_id: str, raw: object, at: str) -> tuple[core.Action, ...]:
    """What a worker does at ``at`` (``iso_utc`` text) of an agenda written by
    ``encode_agenda``.

    The due times are compared as their fixed-width UTC text, which sorts as time
    sorts, so that telling a batch what is due parses no time at all.

    Raises:
        CorruptRecordError: not such an agenda.
    """
    if not isinstance(raw, str):
        raise CorruptRecordError(connection_id, "the agenda column is not text")
    due = []
    for item in raw.split(";") if raw else ():
        when, _, name = item.partition(" ")
        action = _ACTIONS.get(name)
        if action is None:
            raise CorruptRecordError(connection_id, "the agenda holds an unknown action")
        if len(when) != _ISO_WIDTH or not when.endswith("Z"):
            raise CorruptRecordError(connection_id, "the agenda holds a malformed time")
        if when <= at:
            due.append(action)
    return _in_order(tuple(due))


def _context(connection_id: str, scope: str, field: str) -> bytes:
    # Associated data: a sealed value only opens in the row and field it was made for.
    return f"truelayer-lifecycle\x00{connection_id}\x00{scope}\x00{field}".encode()


def _secret_paths(data: dict[str, Any], scope: str) -> tuple[str, ...]:
    # Where secrets are: an input's are top-level fields; a record's are in its parts
    # since schema_version 3 (``part.field``), top-level fields in the flat forms 1, 2.
    if scope == "record" and data.get("schema_version") not in (1, 2):
        return tuple(f"{part}.{name}" for part, name in core.SECRET_PATHS)
    return core.SECRET_FIELDS


def _parent(data: dict[str, Any], path: str) -> tuple[dict[str, Any] | None, str]:
    # The object that holds a dotted path's last name (``None`` when a part is absent).
    *parts, name = path.split(".")
    holder: Any = data
    for part in parts:
        holder = holder.get(part) if isinstance(holder, dict) else None
    return (holder if isinstance(holder, dict) else None), name


def _load(connection_id: str, raw: object, what: str, seq: int | None = None) -> Any:
    # Every store hands JSON columns over as text (PostgreSQL casts jsonb to text).
    if isinstance(raw, bytes | bytearray | memoryview):
        raw = bytes(raw).decode("utf-8", errors="replace")
    if not isinstance(raw, str):
        raise CorruptRecordError(connection_id, f"the {what} column is not text", seq)
    try:
        return loads(raw)
    except NotJSON as error:
        raise CorruptRecordError(
            connection_id, f"{what} is not JSON ({error.reason})", seq
        ) from None


class Codec:
    """Encodes and decodes rows; seals secrets with ``keyring`` (``None``: in clear)."""

    def __init__(self, keyring: Keyring | None, policy: core.Policy = core.DEFAULT_POLICY) -> None:
        self.keyring = keyring
        # The service's policy: a record's next due time depends on its durations.
        self.policy = policy

    @classmethod
    def for_store(
        cls,
        keyring: Keyring | None,
        plaintext: bool,
        store: str,
        policy: core.Policy = core.DEFAULT_POLICY,
    ) -> Codec:
        """The codec of a durable store, refusing to run without keys unless told.

        Raises:
            MissingKeyError: no keyring and ``plaintext`` is false.
            ValueError: both a keyring and ``plaintext=True``.
        """
        global _warned_plaintext
        if keyring is not None and plaintext:
            raise ValueError(f"{store}: give a keyring or plaintext=True, not both")
        if keyring is None and not plaintext:
            raise MissingKeyError(
                f"{store} needs a Keyring to encrypt secrets at rest (e.g. "
                "Keyring.from_env()); pass plaintext=True only in development"
            )
        if keyring is None and not _warned_plaintext:
            _warned_plaintext = True
            log.warning("%s stores tokens in CLEAR (plaintext=True): development only", store)
        return cls(keyring, policy)

    @property
    def key_id(self) -> str | None:
        """The key id new rows are written with (``None`` in clear)."""
        return None if self.keyring is None else self.keyring.active

    def _seal(self, data: dict[str, Any], connection_id: str, scope: str) -> str:
        for path in _secret_paths(data, scope):
            parent, name = _parent(data, path)
            value = None if parent is None else parent.get(name)
            if isinstance(value, str) and self.keyring is not None and parent is not None:
                parent[name] = self.keyring.seal(value, _context(connection_id, scope, path))
        return json.dumps(data, separators=(",", ":"))

    def _unseal(
        self,
        data: Any,
        connection_id: str,
        scope: str,
        key_id: str | None,
        seq: int | None,
    ) -> dict[str, Any]:
        what = "record" if seq is None else "input"
        if not isinstance(data, dict):
            raise CorruptRecordError(connection_id, f"the {what} is not a JSON object", seq)
        opened = {name: dict(value) if isinstance(value, dict) else value
                  for name, value in data.items()}  # fmt: skip
        for path in _secret_paths(opened, scope):
            parent, name = _parent(opened, path)
            value = None if parent is None else parent.get(name)
            if value is None or parent is None:
                continue
            if not isinstance(value, str):
                raise CorruptRecordError(connection_id, f"{path} is not a string", seq)
            parent[name] = self._open(value, connection_id, scope, path, key_id, seq)
        return opened

    def _open(
        self,
        value: str,
        connection_id: str,
        scope: str,
        field: str,
        key_id: str | None,
        seq: int | None,
    ) -> str:
        if not value.startswith(PREFIX):
            if key_id is None:
                return value  # a row written in clear (plaintext=True): read as is
            raise DecryptionError(
                connection_id, field, "stored in clear in an encrypted row", key_id, seq
            )
        if self.keyring is None:
            raise DecryptionError(
                connection_id,
                field,
                "encrypted, but no keyring is configured",
                Keyring.key_id_of(value),
                seq,
            )
        try:
            return self.keyring.open(value, _context(connection_id, scope, field))
        except SealError as error:
            raise DecryptionError(connection_id, field, error.why, error.key_id, seq) from None

    def encode_record(self, connection_id: str, record: core.Connection) -> RecordRow:
        """The row of a record: sealed JSON, status and the agenda's next due time."""
        text = self._seal(core.record_to_json(record), connection_id, "record")
        due = core.next_due(record, record.last_input_at, self.policy)
        return RecordRow(
            text,
            record.status.value,
            None if due is None else utc(due),
            self.key_id,
            encode_agenda(core.standing_agenda(record, self.policy)),
        )

    def decode_record(
        self, connection_id: str, raw: object, status: object, key_id: str | None
    ) -> core.Connection:
        """Read a record row back.

        Raises:
            CorruptRecordError: bad JSON, an unknown schema version or status, a bad field.
            DecryptionError: a secret field cannot be decrypted.
        """
        if not isinstance(status, str) or status not in core.Status.__members__.values():
            raise CorruptRecordError(connection_id, f"unknown status {str(status)[:40]!r}")
        data = self._unseal(
            _load(connection_id, raw, "record"), connection_id, "record", key_id, None
        )
        try:
            record = core.record_from_json(data)
        except core.UnsupportedSchemaVersionError as error:
            raise CorruptRecordError(connection_id, str(error)) from None
        except core.MalformedInputError as error:
            raise CorruptRecordError(connection_id, str(error)) from None
        if record.status.value != status:
            raise CorruptRecordError(
                connection_id, f"status column {status!r} disagrees with the record"
            )
        return record

    def encode_decision(
        self,
        connection_id: str,
        seq: int,
        input: core.Input,
        decision: core.Decision,
        recorded_at: datetime,
    ) -> HistoryRow:
        """The history row of one decided input."""
        return self.encode_entry(
            connection_id,
            HistoryEntry(
                seq=seq,
                at=input.at,
                input_type=input.TYPE,
                input=input,
                accepted=decision.accepted,
                reason=decision.reason,
                effects=decision.effects,
                status_after=decision.record.status,
                recorded_at=recorded_at,
            ),
        )

    def encode_entry(self, connection_id: str, entry: HistoryEntry) -> HistoryRow:
        """The row of a history entry (also used by ``restore``, keeping its facts)."""
        scope = f"history:{entry.seq}"
        return HistoryRow(
            seq=entry.seq,
            at=utc(entry.input.at),
            input_type=entry.input.TYPE,
            input=self._seal(core.input_to_json(entry.input), connection_id, scope),
            accepted=entry.accepted,
            reason=None if entry.reason is None else entry.reason.value,
            effects=json.dumps([effect.value for effect in entry.effects]),
            status_after=entry.status_after.value,
            key_id=self.key_id,
            recorded_at=utc(entry.recorded_at),
        )

    def decode_entry(
        self,
        connection_id: str,
        seq: int,
        raw_input: object,
        accepted: object,
        reason: object,
        effects: object,
        status_after: object,
        key_id: str | None,
        recorded_at: datetime,
    ) -> HistoryEntry:
        """Read a history row back.

        Raises:
            CorruptRecordError: anything in the row is unreadable (names ``seq``).
            DecryptionError: a secret field of the input cannot be decrypted.
        """
        data = self._unseal(
            _load(connection_id, raw_input, "input", seq),
            connection_id,
            f"history:{seq}",
            key_id,
            seq,
        )
        try:
            input = core.input_from_json(data)
            effect_list = _load(connection_id, effects, "effects", seq)
            if not isinstance(effect_list, list):
                raise ValueError("effects is not a list")
            return HistoryEntry(
                seq=seq,
                at=utc(input.at),
                input_type=input.TYPE,
                input=input,
                accepted=bool(accepted),
                reason=None if reason is None else core.Reason(str(reason)),
                effects=tuple(core.Effect(str(item)) for item in effect_list),
                status_after=core.Status(str(status_after)),
                recorded_at=utc(recorded_at),
            )
        except (core.MalformedInputError, ValueError) as error:
            raise CorruptRecordError(connection_id, str(error)[:200], seq) from None

    def reseal(
        self, connection_id: str, raw: object, key_id: str | None, seq: int | None
    ) -> str | None:
        """The row's JSON sealed with the active key, or ``None`` if it already is.

        Raises:
            DecryptionError: a secret cannot be opened with the keyring.
            CorruptRecordError: the JSON is unreadable.
        """
        if self.keyring is None or key_id == self.keyring.active:
            return None
        scope = "record" if seq is None else f"history:{seq}"
        what = "record" if seq is None else "input"
        data = self._unseal(_load(connection_id, raw, what, seq), connection_id, scope, key_id, seq)
        return self._seal(data, connection_id, scope)
