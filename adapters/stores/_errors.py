"""The stores' errors: one family, each with structured fields and no secret in it.

Every message names the connection (and, where it helps, the field or history row) so
that an operator can find the row; none ever holds a token, a code, a key or a DSN.
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "ConnectionNotFound",
    "CorruptRecordError",
    "DecryptionError",
    "DuplicateConnection",
    "KeyringError",
    "LeaseError",
    "MissingDependencyError",
    "MissingKeyError",
    "ReencryptError",
    "SchemaError",
    "StoreError",
    "StoreUnavailableError",
]


class StoreError(Exception):
    """Base class of every error a store raises.

    Attributes:
        connection_id: the connection concerned, when there is one.
    """

    def __init__(self, message: str, connection_id: str | None = None) -> None:
        super().__init__(message)
        self.connection_id = connection_id


class ConnectionNotFound(StoreError, LookupError):
    """No connection has this id."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"no connection {connection_id!r}", connection_id)


class DuplicateConnection(StoreError, ValueError):
    """A connection with this id already exists."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"connection {connection_id!r} already exists", connection_id)


class ConflictError(StoreError):
    """A commit lost a race: the stored version is not the one the caller read.

    Nothing was written. Read the connection again, decide again, commit again.

    Attributes:
        expected: the version the caller expected.
        actual: the version in the store.
    """

    def __init__(self, connection_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"connection {connection_id!r} is at version {actual}, not {expected}: "
            "someone else committed first",
            connection_id,
        )
        self.expected = expected
        self.actual = actual


class LeaseError(StoreError):
    """A lease operation by someone who does not hold the lease.

    Attributes:
        owner: who asked.
        holder: who holds the lease.
    """

    def __init__(self, connection_id: str, owner: str, holder: str) -> None:
        super().__init__(
            f"connection {connection_id!r} is leased to {holder!r}, not {owner!r}",
            connection_id,
        )
        self.owner = owner
        self.holder = holder


class KeyringError(StoreError, ValueError):
    """The encryption keys are configured wrongly (bad format, size or active key)."""


class MissingKeyError(KeyringError):
    """No keyring was given: a durable store refuses to write secrets in clear."""


class CorruptRecordError(StoreError):
    """A stored row cannot be read back; no other row is affected.

    Attributes:
        problem: what is wrong, in words (never a stored value).
        seq: the history row, when the problem is in the history.
    """

    def __init__(self, connection_id: str, problem: str, seq: int | None = None) -> None:
        where = f"connection {connection_id!r}" + ("" if seq is None else f" history #{seq}")
        super().__init__(f"{where} is unreadable: {problem}", connection_id)
        self.problem = problem
        self.seq = seq


class DecryptionError(CorruptRecordError):
    """A secret field cannot be decrypted: tampered, moved, or an unknown key id.

    Attributes:
        field: the secret field (e.g. ``refresh_token``).
        key_id: the key id the value names, if it names one.
    """

    def __init__(
        self,
        connection_id: str,
        field: str,
        why: str,
        key_id: str | None = None,
        seq: int | None = None,
    ) -> None:
        key = "" if key_id is None else f" (key {key_id!r})"
        super().__init__(connection_id, f"cannot decrypt {field}{key}: {why}", seq)
        self.field = field
        self.key_id = key_id


class ReencryptError(StoreError):
    """``reencrypt`` moved every row it could, but some rows cannot be read.

    Attributes:
        rewritten: how many rows were moved to the active key.
        failed: the connections with an unreadable row (they keep their old key).
    """

    def __init__(self, rewritten: int, failed: tuple[str, ...]) -> None:
        names = ", ".join(repr(name) for name in failed[:10])
        more = "" if len(failed) <= 10 else f" and {len(failed) - 10} more"
        super().__init__(
            f"re-encrypted {rewritten} rows; cannot read {len(failed)} connection(s): {names}{more}"
        )
        self.rewritten = rewritten
        self.failed = failed


class SchemaError(StoreError):
    """The database schema is not one this library can use (e.g. newer than it)."""


class StoreUnavailableError(StoreError):
    """The database cannot be reached or stayed locked for too long."""


class MissingDependencyError(StoreError, ImportError):
    """An optional dependency of a store is not installed."""
