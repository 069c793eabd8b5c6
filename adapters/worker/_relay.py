"""The outbox relay: each unacknowledged event POSTed to a webhook, in order, at least once.

Theory of operation. The service writes an outbox event in the same transaction as the
change it announces, so an event exists exactly when its change does. The relay reads
the unacknowledged events in position order (commit order, hence in order per
connection), POSTs each one as JSON and acknowledges it only once the receiver answered
2xx. A transport failure, a timeout, a 408, a 429 or a 5xx is retried with backoff
(stamina); any other answer, or retries running out, stops the relay at that event:
nothing after it is sent, so no event ever overtakes an earlier one of its connection.
An event whose answer was lost is sent again later: receivers deduplicate by the
``Idempotency-Key`` header (the event id).

Each request carries ``X-Lifecycle-Signature: sha256=<hex>``, the HMAC-SHA256 of the exact
body bytes under the shared secret; a receiver checks it with ``verify_signature``
before trusting the body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import stamina

from adapters.stores import OutboxEvent

__all__ = [
    "SIGNATURE_HEADER",
    "EventSource",
    "RelayError",
    "event_json",
    "relay",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Lifecycle-Signature"
_RETRIED_STATUSES = frozenset({408, 425, 429})


class EventSource(Protocol):
    """What the relay needs of the connection service: its outbox."""

    def events(
        self, *, after: int = 0, limit: int = 100, connection_id: str | None = None
    ) -> tuple[OutboxEvent, ...]: ...

    def ack(self, event_ids: list[str]) -> int: ...


class RelayError(Exception):
    """The relay stopped at an event it could not deliver; nothing after it was sent.

    Attributes:
        delivered: how many events were delivered and acknowledged before it.
        event_id: the event that could not be delivered (it stays unacknowledged).
        status: the receiver's HTTP status, or ``None`` when no answer came.
        problem: what went wrong, in words (never the secret, never the body).
    """

    def __init__(self, delivered: int, event_id: str, status: int | None, problem: str) -> None:
        super().__init__(
            f"event {event_id} not delivered ({problem}); {delivered} delivered before it"
        )
        self.delivered = delivered
        self.event_id = event_id
        self.status = status
        self.problem = problem


class _Retry(Exception):
    """An answer worth asking again (408, 425, 429, 5xx): stamina's signal."""

    def __init__(self, status: int) -> None:
        super().__init__(f"the receiver answered {status}")
        self.status = status


class _Undelivered(Exception):
    def __init__(self, status: int | None, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem


def event_json(event: OutboxEvent) -> dict[str, Any]:
    """An outbox event as the JSON object the relay sends (and ``lifecycle events`` prints)."""

    def when(value: dt.datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "event_id": event.event_id,
        "connection_id": event.connection_id,
        "type": event.type,
        "status": event.status.value,
        "reason": event.reason,
        "consent_expires_at": when(event.consent_expires_at),
        "at": when(event.at),
        "position": event.position,
        "recorded_at": when(event.recorded_at),
    }


def sign(body: bytes, secret: bytes) -> str:
    """The signature header's value for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: bytes) -> bool:
    """Whether ``header`` (the ``X-Lifecycle-Signature`` value) signs ``body`` under
    ``secret``; compared in constant time. A receiver calls it on the raw body bytes,
    before parsing them."""
    if header is None:
        return False
    return hmac.compare_digest(sign(body, secret), header.strip())


def _check(url: str, secret: bytes, limit: int, timeout: float, attempts: int) -> None:
    if not isinstance(secret, bytes) or not secret:
        raise ValueError("the webhook secret must be non-empty bytes")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the webhook URL must be an http:// or https:// URL with a host")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not timeout > 0:
        raise ValueError("timeout must be more than 0 seconds")
    if attempts < 1:
        raise ValueError("attempts must be at least 1")


def _retryable(error: Exception) -> bool:
    return isinstance(error, _Retry | httpx.TransportError)


def relay(
    connections: EventSource,
    url: str,
    *,
    secret: bytes,
    limit: int = 100,
    timeout: float = 10.0,
    attempts: int = 5,
    wait_initial: float = 0.1,
    wait_max: float = 5.0,
) -> int:
    """POST up to ``limit`` unacknowledged outbox events to ``url``, oldest first.

    Args:
        connections: the connection service (``Connections``), or anything with its
            ``events`` and ``ack``.
        url: the webhook receiver (http or https).
        secret: the key of the ``X-Lifecycle-Signature`` HMAC, shared with the receiver.
        limit: the most events sent in this call.
        timeout: seconds to wait for one answer.
        attempts: the most tries per event (1 = no retry).
        wait_initial: the first backoff in seconds; it doubles each retry (with jitter).
        wait_max: the longest backoff, in seconds.

    Returns:
        How many events were delivered (answered 2xx) and acknowledged.

    Raises:
        ValueError: a bad URL, an empty secret, or a bad limit, timeout or attempts.
        RelayError: an event could not be delivered: the relay stopped there, after
            acknowledging every event delivered before it.
        ServiceError: reading or acknowledging the outbox failed.
    """
    _check(url, secret, limit, timeout, attempts)
    pending = connections.events(after=0, limit=limit)
    delivered = 0
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for event in pending:
            body = json.dumps(event_json(event), separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "Idempotency-Key": event.event_id,
                SIGNATURE_HEADER: sign(body, secret),
            }
            try:
                status = _post(client, url, body, headers, attempts, wait_initial, wait_max)
            except _Undelivered as error:
                raise RelayError(delivered, event.event_id, error.status, error.problem) from None
            if not 200 <= status < 300:
                problem = f"the receiver answered {status}"
                raise RelayError(delivered, event.event_id, status, problem)
            # Acknowledged one by one: a crash after this loses at most one
            # acknowledgement, i.e. sends one event twice, never skips one.
            connections.ack([event.event_id])
            delivered += 1
    return delivered


def _post(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    attempts: int,
    wait_initial: float,
    wait_max: float,
) -> int:
    """The receiver's status for one event, after retrying what is worth retrying.

    Raises:
        _Undelivered: no answer came, or only answers worth retrying, until retries ran out.
    """
    try:
        for attempt in stamina.retry_context(
            on=_retryable,
            attempts=attempts,
            timeout=None,
            wait_initial=wait_initial,
            wait_max=wait_max,
            wait_jitter=wait_initial,
        ):
            with attempt:
                answer = client.post(url, content=body, headers=headers)
                if answer.status_code >= 500 or answer.status_code in _RETRIED_STATUSES:
                    raise _Retry(answer.status_code)
    except _Retry as error:
        raise _Undelivered(error.status, f"{error}, {attempts} time(s)") from None
    except httpx.TransportError as error:
        # The class name only: an httpx message may quote the URL, which may hold a
        # password or a token in its query.
        raise _Undelivered(None, f"no answer ({type(error).__name__})") from None
    return answer.status_code
