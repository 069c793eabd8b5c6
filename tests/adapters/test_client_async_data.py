"""Queued Data API calls (``async=true``): the task, the webhook, the results (R11).

The webhook is received by a real HTTP server on 127.0.0.1, as an application's would be.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from test_client_support import KINDS, Client, Kind, connect, open_client

import lifecycle
from adapters.sandbox import Sandbox, SandboxConfig
from adapters.truelayer import (
    DATA_ENDPOINTS,
    AccountNotFound,
    AsyncTask,
    Data,
    DataQuery,
    InsufficientPermissions,
    MalformedResponse,
    NotFound,
    TaskPending,
    Webhook,
    parse_webhook,
)

CURRENT = "acc-current-0001"
ALL = (
    "info",
    "accounts",
    "balance",
    "cards",
    "transactions",
    "direct_debits",
    "standing_orders",
    "offline_access",
)


class Hooks:
    """A webhook receiver: every POST body, in arrival order."""

    def __init__(self) -> None:
        self.bodies: queue.Queue[bytes] = queue.Queue()
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.put(self.rfile.read(length))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_port}/truelayer/webhook"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def next(self, timeout: float = 5.0) -> Webhook:
        """The next notification, parsed as an application would."""
        return parse_webhook(self.bodies.get(timeout=timeout))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()
    yield receiver
    receiver.close()


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> Kind:
    chosen: Kind = request.param
    return chosen


@pytest.fixture
def client(kind: Kind, sandbox: Sandbox) -> Iterator[Client]:
    with open_client(kind, sandbox) as opened:
        yield opened


def _settled(client: Client, token: Any, task: AsyncTask[Any], wait: float = 5.0) -> Any:
    """Poll the results until the task is done (for calls queued without a webhook)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return client.results(token, task)
        except TaskPending:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def test_a_queued_call_posts_a_webhook_then_serves_its_results(
    client: Client, hooks: Hooks
) -> None:
    token = connect(client, scopes=ALL).access_token
    (consent,) = client.me(token)

    task = client.queue(token, Data.transactions(CURRENT), webhook_uri=hooks.uri)
    notice = hooks.next()
    results = client.results(token, task)

    assert task.status == "Queued"
    assert notice.task_id == task.task_id
    assert notice.succeeded
    assert notice.credentials_id == consent.credentials_id
    assert notice.results_uri == task.results_uri
    assert notice.request_uri is not None
    assert f"/data/v1/accounts/{CURRENT}/transactions?async=true" in notice.request_uri
    assert results == client.transactions(token, CURRENT)


def test_a_queued_call_that_fails_says_so_in_the_webhook_and_the_results_raise_its_error(
    client: Client, hooks: Hooks
) -> None:
    token = connect(client, scopes=ALL).access_token

    task = client.queue(token, Data.balance("acc-nope"), webhook_uri=hooks.uri)
    notice = hooks.next()

    assert (notice.status, notice.error) == ("Failed", "account_not_found")
    assert not notice.succeeded
    with pytest.raises(AccountNotFound):
        client.results(token, task)


def test_results_before_the_task_is_done_raise_task_pending(
    kind: Kind, start_sandbox: Callable[[SandboxConfig], Sandbox], hooks: Hooks
) -> None:
    sandbox = start_sandbox(SandboxConfig(async_delay=0.3))
    with open_client(kind, sandbox) as client:
        token = connect(client, scopes=ALL).access_token
        task = client.queue(token, Data.accounts(), webhook_uri=hooks.uri)

        with pytest.raises(TaskPending) as caught:
            client.results(token, task)
        hooks.next()
        accounts = client.results(token, task)

    assert caught.value.retryable is False
    now = sandbox.clock.now()  # a read, not a request in flight: no status change (R11)
    assert caught.value.core_event(now) == lifecycle.FetchFailed(now, error="task_pending")
    assert len(accounts) == 3


def test_a_queued_call_without_its_scope_is_refused_at_once(client: Client, hooks: Hooks) -> None:
    token = connect(client, scopes=("accounts", "offline_access")).access_token

    with pytest.raises(InsufficientPermissions):
        client.queue(token, Data.cards(), webhook_uri=hooks.uri)

    with pytest.raises(queue.Empty):
        hooks.bodies.get(timeout=0.2)


CARD = "card-credit-0001"
# Each endpoint: its query, and the id its client method takes (None: no id).
QUERIES: dict[str, tuple[Callable[[], DataQuery[Any]], str | None]] = {
    "me": (Data.me, None),
    "info": (Data.info, None),
    "accounts": (Data.accounts, None),
    "account": (lambda: Data.account(CURRENT), CURRENT),
    "balance": (lambda: Data.balance(CURRENT), CURRENT),
    "transactions": (lambda: Data.transactions(CURRENT), CURRENT),
    "pending_transactions": (lambda: Data.pending_transactions(CURRENT), CURRENT),
    "standing_orders": (lambda: Data.standing_orders(CURRENT), CURRENT),
    "direct_debits": (lambda: Data.direct_debits(CURRENT), CURRENT),
    "cards": (Data.cards, None),
    "card": (lambda: Data.card(CARD), CARD),
    "card_balance": (lambda: Data.card_balance(CARD), CARD),
    "card_transactions": (lambda: Data.card_transactions(CARD), CARD),
    "card_pending_transactions": (lambda: Data.card_pending_transactions(CARD), CARD),
}


def test_every_endpoint_has_a_query() -> None:
    assert set(QUERIES) == {e.name for e in DATA_ENDPOINTS}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_endpoint_can_be_queued_and_answers_as_it_would_at_once(
    client: Client, name: str
) -> None:
    token = connect(client, scopes=ALL).access_token
    build, ident = QUERIES[name]

    task = client.queue(token, build())

    at_once = getattr(client, name)(token, *([ident] if ident else []))
    assert _settled(client, token, task) == at_once


def test_another_connection_cannot_read_a_task(kind: Kind, sandbox: Sandbox) -> None:
    with open_client(kind, sandbox) as client:
        mine = connect(client, scopes=ALL).access_token
        theirs = connect(client, scopes=ALL).access_token
        task = client.queue(mine, Data.info())
        _settled(client, mine, task)

        with pytest.raises(NotFound) as caught:
            client.results(theirs, task)

    assert caught.value.status == 404


def test_the_sandbox_posts_webhooks_only_to_loopback(
    client: Client, sandbox: Sandbox, http: httpx.Client
) -> None:
    token = connect(client, scopes=ALL).access_token
    headers = {"Authorization": f"Bearer {token.reveal()}"}

    outside = http.get(
        f"{sandbox.base_url}/data/v1/accounts",
        params={"async": "true", "webhook_uri": "https://example.com/hook"},
        headers=headers,
    )
    bad_mode = http.get(f"{sandbox.base_url}/data/v1/accounts?async=maybe", headers=headers)

    assert (outside.status_code, outside.json()["error"]) == (400, "validation_error")
    assert (bad_mode.status_code, bad_mode.json()["error"]) == (400, "validation_error")
    with pytest.raises(ValueError, match="webhook_uri"):
        client.queue(token, Data.accounts(), webhook_uri="ftp://127.0.0.1/hook")


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"status": "Succeeded"}', b'{"task_id": 7, "status": "Failed"}'],
    ids=["not-json", "not-an-object", "no-task-id", "task-id-not-a-string"],
)
def test_a_body_that_is_not_a_notification_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_webhook(body)


def test_a_notification_with_new_fields_is_read_and_keeps_them() -> None:
    notice = parse_webhook(
        b'{"task_id": "t1", "status": "Succeeded", "request_timestamp":'
        b' "0001-01-01T00:00:00Z", "event_version": 2}'
    )

    assert notice.extra == {"event_version": 2}
    assert notice.request_timestamp is not None
