"""The outbox relay against a real webhook receiver on 127.0.0.1 (a process of its own),
over events the service wrote while working against the sandbox."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from typing import Any

import pytest
from relay_support import SECRET, Receiver, free_port, seed

from adapters.sandbox import Sandbox
from adapters.service import Connections
from adapters.stores import OutboxEvent
from adapters.worker import SIGNATURE_HEADER, RelayError, event_json, relay, sign, verify_signature

WAIT_INITIAL, WAIT_MAX = 0.02, 0.2


def all_events(connections: Connections) -> tuple[OutboxEvent, ...]:
    return connections.store.events(limit=10_000, include_acked=True)


def delivered(receiver: Receiver) -> list[dict[str, Any]]:
    """The requests the receiver answered 2xx, in arrival order."""
    return [request for request in receiver.requests() if 200 <= request["answer"] < 300]


def first_arrivals(requests: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per connection, its event ids in the order of their first arrival."""
    seen: set[str] = set()
    order: dict[str, list[str]] = defaultdict(list)
    for request in requests:
        body = json.loads(request["body"])
        if body["event_id"] not in seen:
            seen.add(body["event_id"])
            order[body["connection_id"]].append(body["event_id"])
    return dict(order)


def expected_order(events: tuple[OutboxEvent, ...]) -> dict[str, list[str]]:
    order: dict[str, list[str]] = defaultdict(list)
    for event in sorted(events, key=lambda event: event.position):
        order[event.connection_id].append(event.event_id)
    return dict(order)


def assert_every_request_signed(requests: list[dict[str, Any]]) -> None:
    for request in requests:
        body = request["body"].encode()
        assert verify_signature(body, request["signature"], SECRET)
        assert request["key"] == json.loads(body)["event_id"]
        assert request["content_type"] == "application/json"


@pytest.mark.parametrize("store", ["sqlite", "postgres"], indirect=True)
def test_a_receiver_killed_mid_stream_and_restarted_gets_every_event_in_order(
    connections: Connections, sandbox: Sandbox, receiver: Receiver
) -> None:
    seed(connections, sandbox, count=6, revoked=3)
    events = all_events(connections)
    assert len(events) == 6 * 3 + 3
    receiver.start(die_at=8)  # killed by SIGKILL on the 8th request, never answering it

    deaths: list[int] = []

    def restart() -> None:
        deaths.append(receiver.wait_dead())
        receiver.start()  # same port: the relay's retries find it back

    restarter = threading.Thread(target=restart)
    restarter.start()
    sent = relay(
        connections,
        receiver.url,
        secret=SECRET,
        limit=1000,
        attempts=30,
        wait_initial=WAIT_INITIAL,
        wait_max=WAIT_MAX,
    )
    restarter.join(timeout=30)

    assert deaths == [-9]  # it really was killed, mid-request
    assert sent == len(events)
    requests = delivered(receiver)
    assert {json.loads(r["body"])["event_id"] for r in requests} == {e.event_id for e in events}
    assert first_arrivals(requests) == expected_order(events)
    assert_every_request_signed(requests)
    assert connections.events(limit=1000) == ()  # every event acknowledged


def test_a_receiver_down_past_the_retries_stops_the_relay_at_that_event_until_it_is_back(
    connections: Connections, sandbox: Sandbox, receiver: Receiver
) -> None:
    seed(connections, sandbox, count=4, revoked=2)
    events = sorted(all_events(connections), key=lambda event: event.position)
    receiver.start(die_at=5)

    with pytest.raises(RelayError) as stopped:
        relay(
            connections,
            receiver.url,
            secret=SECRET,
            attempts=3,
            wait_initial=WAIT_INITIAL,
            wait_max=WAIT_MAX,
        )
    assert (stopped.value.delivered, stopped.value.event_id) == (4, events[4].event_id)
    assert stopped.value.status is None
    # Only what was answered 2xx is acknowledged; the rest waits, the 5th first.
    waiting = connections.events(limit=1000)
    assert [event.event_id for event in waiting] == [event.event_id for event in events[4:]]

    receiver.wait_dead()
    receiver.start()
    assert (
        relay(
            connections, receiver.url, secret=SECRET, wait_initial=WAIT_INITIAL, wait_max=WAIT_MAX
        )
        == len(events) - 4
    )
    requests = delivered(receiver)
    assert [json.loads(r["body"])["event_id"] for r in requests] == [e.event_id for e in events]
    assert_every_request_signed(requests)
    assert connections.events(limit=1000) == ()


def test_a_client_error_answer_stops_the_relay_at_once_and_acknowledges_nothing(
    connections: Connections, sandbox: Sandbox, receiver: Receiver
) -> None:
    seed(connections, sandbox, count=1)
    receiver.start(answer=400)
    with pytest.raises(RelayError) as stopped:
        relay(
            connections,
            receiver.url,
            secret=SECRET,
            attempts=5,
            wait_initial=WAIT_INITIAL,
            wait_max=WAIT_MAX,
        )
    assert (stopped.value.delivered, stopped.value.status) == (0, 400)
    assert len(receiver.requests()) == 1  # a 4xx is not retried
    assert len(connections.events(limit=1000)) == 3


def test_a_server_error_answer_is_retried_then_given_up_without_acknowledging(
    connections: Connections, sandbox: Sandbox, receiver: Receiver
) -> None:
    seed(connections, sandbox, count=1)
    receiver.start(answer=503)
    with pytest.raises(RelayError) as stopped:
        relay(
            connections,
            receiver.url,
            secret=SECRET,
            attempts=3,
            wait_initial=WAIT_INITIAL,
            wait_max=WAIT_MAX,
        )
    assert (stopped.value.delivered, stopped.value.status) == (0, 503)
    assert len(receiver.requests()) == 3
    # Every retry sends the same bytes under the same idempotency key.
    assert len({(r["key"], r["body"]) for r in receiver.requests()}) == 1
    assert len(connections.events(limit=1000)) == 3


def test_the_relay_sends_at_most_limit_events_oldest_first(
    connections: Connections, sandbox: Sandbox, receiver: Receiver
) -> None:
    seed(connections, sandbox, count=2)
    events = sorted(all_events(connections), key=lambda event: event.position)
    receiver.start()
    assert relay(connections, receiver.url, secret=SECRET, limit=4) == 4
    sent = [json.loads(r["body"]) for r in receiver.requests()]
    assert sent == [event_json(event) for event in events[:4]]
    assert [event.event_id for event in connections.events(limit=100)] == [
        event.event_id for event in events[4:]
    ]
    assert relay(connections, receiver.url, secret=SECRET) == 2
    assert relay(connections, receiver.url, secret=SECRET) == 0


def test_the_body_carries_the_whole_event_as_json(
    connections: Connections, sandbox: Sandbox, receiver: Receiver
) -> None:
    (connection_id,) = seed(connections, sandbox, count=1)
    receiver.start()
    relay(connections, receiver.url, secret=SECRET)
    bodies = [json.loads(request["body"]) for request in receiver.requests()]
    assert [body["type"] for body in bodies] == [
        "connection.created",
        "connection.authorized",
        "connection.active",
    ]
    last = bodies[-1]
    assert (last["connection_id"], last["status"]) == (connection_id, "active")
    assert set(last) == {
        "event_id",
        "connection_id",
        "type",
        "status",
        "reason",
        "consent_expires_at",
        "at",
        "position",
        "recorded_at",
    }
    assert last["consent_expires_at"] is not None


def test_an_unreachable_receiver_error_names_neither_the_url_nor_the_secret(
    connections: Connections, sandbox: Sandbox
) -> None:
    seed(connections, sandbox, count=1)
    url = f"http://hook-user:hunter2-password@127.0.0.1:{free_port()}/hook?token=tok-123"
    with pytest.raises(RelayError) as stopped:
        relay(
            connections,
            url,
            secret=SECRET,
            attempts=2,
            wait_initial=WAIT_INITIAL,
            wait_max=WAIT_MAX,
        )
    text = f"{stopped.value} {stopped.value.problem!r} {stopped.value!r}"
    for secret in ("hunter2", "tok-123", SECRET.decode()):
        assert secret not in text
    assert "ConnectError" in stopped.value.problem


@pytest.mark.parametrize(
    ("url", "secret", "limit"),
    [
        ("ftp://127.0.0.1/hook", SECRET, 10),
        ("127.0.0.1:8000/hook", SECRET, 10),
        ("http://127.0.0.1/hook", b"", 10),
        ("http://127.0.0.1/hook", SECRET, 0),
    ],
)
def test_bad_settings_are_refused_before_anything_is_sent(
    connections: Connections, url: str, secret: bytes, limit: int
) -> None:
    with pytest.raises(ValueError, match=r"webhook|limit"):
        relay(connections, url, secret=secret, limit=limit)


def test_a_signature_verifies_only_the_exact_body_under_the_same_secret() -> None:
    body = b'{"event_id":"e1"}'
    header = sign(body, SECRET)
    assert header.startswith("sha256=") and len(header) == len("sha256=") + 64
    assert verify_signature(body, header, SECRET)
    assert not verify_signature(body + b" ", header, SECRET)
    assert not verify_signature(body, header, b"another secret")
    assert not verify_signature(body, None, SECRET)
    assert SIGNATURE_HEADER == "X-Lifecycle-Signature"
