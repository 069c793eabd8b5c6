"""What a write carries beside the record: the journal of raw answers, the state index.

The journal (R15): the raw JSON answer of a token request (exchange, refresh, extend)
holds the tokens TrueLayer just issued, perhaps a rotated refresh token that exists
nowhere else. ``record_answer`` writes it, sealed whole, in a transaction of its own
the moment it arrives; the commit that applies it deletes it in its own transaction
(``close_answer``), so an answer is either still in the journal or in the record, never
lost in between. Whatever is left in the journal at start is an answer to resolve.

The state index (R14): the callback's ``state`` finds its connection through a keyed
hash (HMAC-SHA256 under a key derived from the keyring), never the state itself, so a
copy of the database tells nothing a forger could use. A sealed copy of the state sits
beside the digest only so that ``reencrypt`` can compute the digest again under a new
key; without a keyring none is kept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import frozen

import lifecycle as core

from ._codec import Codec, _context, _load
from ._crypto import DEVELOPMENT_INDEX_KEY, PREFIX, Keyring, index_digest
from ._errors import CorruptRecordError
from ._outbox import OutboxEvent, check_events

__all__ = [
    "Extras",
    "StateIndex",
    "check_request",
    "open_answer",
    "reseal_answer",
    "reseal_state",
    "seal_answer",
    "state_digests",
    "state_index",
]

_STATE_SCOPE, _STATE_FIELD = "state-index", "state"


def check_request(request: int) -> int:
    """A request number (the core's ``Request.number``), checked.

    Raises:
        ValueError: not a whole number >= 1.
    """
    if isinstance(request, bool) or not isinstance(request, int) or request < 1:
        raise ValueError("a request number is a whole number >= 1")
    return request


@frozen
class StateIndex:
    """What the connection row keeps of a link's state: its digest and a sealed copy."""

    key: str
    sealed: str | None


@frozen
class Extras:
    """What a ``create`` or ``commit`` writes beside the record and its history row."""

    events: tuple[OutboxEvent, ...] = ()
    close_answer: int | None = None
    state: StateIndex | None = None

    @classmethod
    def of(
        cls,
        codec: Codec,
        connection_id: str,
        events: Sequence[OutboxEvent],
        close_answer: int | None,
        link_state: core.Secret | None,
    ) -> Extras:
        """Check and encode the extras of a write.

        Raises:
            TypeError: events that are not ``OutboxEvent``, a state that is not a Secret.
            ValueError: a bad event (see ``check_events``) or request number.
        """
        if link_state is not None and not isinstance(link_state, core.Secret):
            raise TypeError("link_state is a lifecycle.Secret (the state of the link)")
        return cls(
            check_events(connection_id, events),
            None if close_answer is None else check_request(close_answer),
            None if link_state is None else state_index(codec, connection_id, link_state),
        )


def state_index(codec: Codec, connection_id: str, state: core.Secret) -> StateIndex:
    """The index entry of a link's state, under the active key."""
    value = state.reveal()
    keyring = codec.keyring
    if keyring is None:
        return StateIndex(index_digest(DEVELOPMENT_INDEX_KEY, value), None)
    return StateIndex(
        keyring.digest(value),
        keyring.seal(value, _context(connection_id, _STATE_SCOPE, _STATE_FIELD)),
    )


def state_digests(codec: Codec, state: core.Secret) -> list[str]:
    """The digests a state may be stored under: one per key of the ring (a rotation
    leaves rows under older keys until ``reencrypt`` moves them)."""
    value = state.reveal()
    keyring = codec.keyring
    if keyring is None:
        return [index_digest(DEVELOPMENT_INDEX_KEY, value)]
    return [keyring.digest(value, key_id) for key_id in keyring.key_ids]


def reseal_state(codec: Codec, connection_id: str, sealed: str) -> StateIndex | None:
    """The index entry again under the active key, or ``None`` if it already is.

    Raises:
        DecryptionError: the sealed copy does not open with the keyring.
    """
    keyring = codec.keyring
    if keyring is None or sealed.startswith(f"{PREFIX}{keyring.active}:"):
        return None
    value = codec._open(
        sealed, connection_id, _STATE_SCOPE, _STATE_FIELD, Keyring.key_id_of(sealed), None
    )
    return state_index(codec, connection_id, core.Secret(value))


def _field(request: int) -> str:
    return f"answer {request}"


def seal_answer(
    codec: Codec, connection_id: str, request: int, answer: Mapping[str, Any]
) -> tuple[str, str | None]:
    """The stored form of a raw answer: its JSON sealed whole, and the key id.

    Raises:
        TypeError: the answer is not a mapping of JSON values.
    """
    if not isinstance(answer, Mapping):
        raise TypeError("an answer is a mapping (the JSON object TrueLayer answered)")
    try:
        text = json.dumps(dict(answer), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        # Never quote the answer: it holds tokens.
        raise TypeError("the answer holds a value that is not JSON") from None
    except RecursionError:
        raise TypeError("the answer is nested too deeply") from None
    keyring = codec.keyring
    if keyring is None:
        return text, None
    return keyring.seal(text, _context(connection_id, "journal", _field(request))), keyring.active


def open_answer(
    codec: Codec, connection_id: str, request: int, raw: object, key_id: str | None
) -> dict[str, Any]:
    """A stored answer, opened and parsed.

    Raises:
        DecryptionError: it does not open with the keyring (names the connection).
        CorruptRecordError: it is not a JSON object.
    """
    if not isinstance(raw, str):
        raise CorruptRecordError(connection_id, f"the stored {_field(request)} is not text")
    text = codec._open(raw, connection_id, "journal", _field(request), key_id, None)
    data = _load(connection_id, text, _field(request))
    if not isinstance(data, dict):
        raise CorruptRecordError(connection_id, f"the stored {_field(request)} is not an object")
    return data


def reseal_answer(
    codec: Codec, connection_id: str, request: int, raw: object, key_id: str | None
) -> str | None:
    """A stored answer sealed again with the active key, or ``None`` if it already is.

    Raises:
        DecryptionError, CorruptRecordError: it cannot be opened.
    """
    if codec.keyring is None or key_id == codec.keyring.active:
        return None
    answer = open_answer(codec, connection_id, request, raw, key_id)
    return seal_answer(codec, connection_id, request, answer)[0]
