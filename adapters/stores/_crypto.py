"""Encryption at rest: AES-256-GCM over each secret field, with rotating keys.

An encrypted value describes itself: ``enc:v1:<key_id>:<base64(nonce || ciphertext)>``.
The associated data binds it to its place (connection id, row, field), so a ciphertext
copied into another row or field fails to decrypt instead of yielding a valid token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._errors import KeyringError, MissingKeyError

__all__ = ["DEVELOPMENT_INDEX_KEY", "ENV_VAR", "PREFIX", "Keyring", "SealError", "index_digest"]

ENV_VAR = "LIFECYCLE_KEYS"
PREFIX = "enc:v1:"
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_KEY_ID_RULE = "use 1-64 of A-Z a-z 0-9 _ . -"
_NONCE = 12  # bytes; the size GCM is designed for
# What an index key is derived for: HMAC(key, label). A key of its own, so that a digest
# says nothing the AES key would, and one AES key never serves two purposes.
_INDEX_LABEL = b"truelayer-lifecycle state index"
# The index key of a store without keys (plaintext=True, and MemoryStore): fixed and
# public, so the digests it makes protect nothing. Development only, like plaintext.
DEVELOPMENT_INDEX_KEY = hmac.new(
    b"truelayer-lifecycle development index key", _INDEX_LABEL, hashlib.sha256
).digest()


def index_digest(key: bytes, value: str) -> str:
    """The keyed hash of ``value`` that an index stores in its place: HMAC-SHA256, hex."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class SealError(Exception):
    """Internal: why one value would not open. The store turns it into DecryptionError."""

    def __init__(self, why: str, key_id: str | None) -> None:
        super().__init__(why)
        self.why = why
        self.key_id = key_id


class Keyring:
    """The AES-256 keys a store may read with, and the one it writes with.

    Old keys stay in the ring after a rotation so that rows written with them remain
    readable until ``store.reencrypt()`` has moved them to the active key.

    Args:
        keys: key id -> 32 random bytes. Ids are 1-64 of ``A-Z a-z 0-9 _ . -``.
        active: the id of the key new values are encrypted with.

    Raises:
        MissingKeyError: ``keys`` is empty.
        KeyringError: a bad key id, a key that is not 32 bytes, or ``active`` unknown.
    """

    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if not keys:
            raise MissingKeyError("the keyring holds no key")
        for key_id, key in keys.items():
            if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
                raise KeyringError(f"bad key id {str(key_id)[:64]!r}: {_KEY_ID_RULE}")
            if not isinstance(key, bytes) or len(key) != 32:
                raise KeyringError(f"key {key_id!r} must be 32 bytes (AES-256)")
        if active not in keys:
            raise KeyringError(f"the active key {active!r} is not in the keyring")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._index_keys = {
            key_id: hmac.new(key, _INDEX_LABEL, hashlib.sha256).digest()
            for key_id, key in keys.items()
        }
        self.active = active

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of every key in the ring, the active one first."""
        return (self.active, *sorted(k for k in self._ciphers if k != self.active))

    def __repr__(self) -> str:
        return f"Keyring(active={self.active!r}, key_ids={self.key_ids!r})"

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Read ``kid1:base64key,kid2:base64key`` (the first is active).

        Raises:
            MissingKeyError: ``text`` is empty.
            KeyringError: an entry is malformed, a key id repeats, a key is not 32 bytes.
        """
        keys: dict[str, bytes] = {}
        entries = [entry.strip() for entry in text.split(",") if entry.strip()]
        if not entries:
            raise MissingKeyError(f"no key given: set {ENV_VAR}=kid:base64key[,kid:base64key]")
        for number, entry in enumerate(entries, start=1):
            key_id, sep, encoded = entry.partition(":")
            if not sep:
                raise KeyringError(f"{ENV_VAR} entry {number} is not kid:base64key")
            # Never echo a key id that may be a key: an entry written the wrong way round
            # (base64key:kid) puts the key where the id belongs; a key is 43+ chars.
            name = repr(key_id) if len(key_id) <= 40 else f"of entry {number}"
            if not _KEY_ID.fullmatch(key_id):
                raise KeyringError(
                    f"bad key id in {ENV_VAR} entry {number}: write kid:base64key, the id"
                    f" first ({_KEY_ID_RULE})"
                )
            if key_id in keys:
                raise KeyringError(f"{ENV_VAR} names key {name} twice")
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                # Never echo the entry: it is key material.
                raise KeyringError(
                    f"{ENV_VAR} key {name} is not valid base64 (entries are kid:base64key)"
                ) from None
            if len(keys[key_id]) != 32:
                raise KeyringError(f"{ENV_VAR} key {name} must be 32 bytes (AES-256)")
        return cls(keys, active=entries[0].partition(":")[0])

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Keyring:
        """The keyring configured in the environment variable ``LIFECYCLE_KEYS``.

        Raises:
            MissingKeyError: the variable is unset or empty.
            KeyringError: its value is malformed (see :meth:`parse`).
        """
        text = (os.environ if environ is None else environ).get(ENV_VAR, "")
        if not text.strip():
            raise MissingKeyError(f"{ENV_VAR} is not set: no key to encrypt secrets with")
        return cls.parse(text)

    @staticmethod
    def generate(key_id: str) -> str:
        """A new ``kid:base64key`` entry with 32 random bytes, for ``LIFECYCLE_KEYS``."""
        if not _KEY_ID.fullmatch(key_id):
            raise KeyringError(f"bad key id {key_id[:64]!r}: {_KEY_ID_RULE}")
        return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"

    def seal(self, plaintext: str, context: bytes) -> str:
        """Encrypt ``plaintext`` with the active key, bound to ``context``."""
        nonce = os.urandom(_NONCE)
        sealed = self._ciphers[self.active].encrypt(nonce, plaintext.encode(), context)
        return f"{PREFIX}{self.active}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, value: str, context: bytes) -> str:
        """Decrypt a value made by :meth:`seal` with the same ``context``.

        Raises:
            SealError: not an encrypted value, an unknown key id, or authentication
                failed (the value was altered or belongs to another row or field).
        """
        if not value.startswith(PREFIX):
            raise SealError("the value is not encrypted", None)
        key_id, sep, encoded = value[len(PREFIX) :].partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise SealError("the encrypted value is malformed", None)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SealError("unknown key id: add that key to the keyring", key_id)
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise SealError("the encrypted value is not valid base64", key_id) from None
        if len(blob) <= _NONCE:
            raise SealError("the encrypted value is truncated", key_id)
        try:
            return cipher.decrypt(blob[:_NONCE], blob[_NONCE:], context).decode()
        except (InvalidTag, UnicodeDecodeError):
            raise SealError(
                "authentication failed (altered, or moved from another row or field)", key_id
            ) from None

    def digest(self, value: str, key_id: str | None = None) -> str:
        """The keyed hash of ``value`` under the index key derived from key ``key_id``
        (default: the active key): what an index stores instead of the value (R14).

        Raises:
            KeyringError: ``key_id`` is not in the ring.
        """
        key = self._index_keys.get(self.active if key_id is None else key_id)
        if key is None:
            raise KeyringError(f"key {str(key_id)[:64]!r} is not in the keyring")
        return index_digest(key, value)

    @staticmethod
    def key_id_of(value: str) -> str | None:
        """The key id an encrypted value names, or ``None`` if it is not one."""
        if not value.startswith(PREFIX):
            return None
        return value[len(PREFIX) :].partition(":")[0] or None
