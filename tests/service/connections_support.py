"""Helpers of the service's tests: a user at the sandbox's dialog, stores to run on."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import httpx

import lifecycle as core
from adapters.sandbox import Sandbox
from adapters.stores import Keyring, PostgresStore, SqliteStore, Store
from adapters.truelayer import AsyncTrueLayerClient, Endpoints, RetryPolicy, TrueLayerClient

SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")
PROVIDERS = "uk-cs-mock"
REDIRECT_URI = "http://127.0.0.1/callback"
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.001, wait_max=0.005, wait_jitter=0.001)
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"')
StoreKind = Literal["sqlite", "postgres"]


def client_settings(sandbox: Sandbox, **changes: Any) -> dict[str, Any]:
    """The client's settings for ``sandbox`` (the test client, fast retries)."""
    return {
        "client_id": "sandbox-client",
        "client_secret": core.Secret("sandbox-secret"),
        "redirect_uri": REDIRECT_URI,
        "endpoints": Endpoints.local(sandbox.base_url),
        "retry": FAST,
        "timeout": 5.0,
        **changes,
    }


def sync_client(sandbox: Sandbox, **changes: Any) -> TrueLayerClient:
    return TrueLayerClient(**client_settings(sandbox, **changes))


def async_client(sandbox: Sandbox, **changes: Any) -> AsyncTrueLayerClient:
    return AsyncTrueLayerClient(**client_settings(sandbox, **changes))


def consent(url: str, *, allow: bool = True) -> str:
    """Act as the user in the sandbox's dialog, over real HTTP; the callback's query."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    with httpx.Client(timeout=5.0, follow_redirects=False) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        hidden = dict(_HIDDEN.findall(page.text))
        answer = browser.post(
            f"{base}/dialog/decision",
            data={"attempt_id": hidden["attempt_id"], "decision": "allow" if allow else "deny"},
        )
    if answer.status_code == 302:
        return urlsplit(answer.headers["location"]).query
    assert answer.status_code == 200, answer.text  # form_post
    return urlencode(dict(_HIDDEN.findall(answer.text)))


def keyring() -> Keyring:
    return Keyring({"k1": os.urandom(32)}, "k1")


@contextmanager
def open_store(
    kind: StoreKind, location: str, *, keys: Keyring, schema: str | None = None, **options: Any
) -> Iterator[Store]:
    """An opened store of ``kind``: a SQLite file, or a PostgreSQL schema."""
    store: Store
    if kind == "sqlite":
        store = SqliteStore(Path(location), keyring=keys, **options)
    else:
        store = PostgresStore(location, keyring=keys, schema=schema or "public", **options)
    with store:
        yield store


def seed(connections: Any, sandbox: Sandbox, count: int) -> list[str]:
    """``count`` active connections made through the service (link, consent, exchange)."""
    made = []
    for _ in range(count):
        link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
        outcome = connections.handle_callback(sandbox.consent(link.url))
        assert outcome.connected, outcome
        made.append(link.connection_id)
    return made


def hammer(
    kind: StoreKind,
    location: str,
    schema: str | None,
    keys: dict[str, bytes],
    base_url: str,
    now_iso: str,
    connection_ids: list[str],
    threads: int,
    seed_value: int,
) -> dict[str, int]:
    """In a process of its own: ``threads`` threads each ask every connection for an
    access token, in their own order. Returns how many calls failed, by error type."""
    import random
    import threading
    from collections import Counter
    from datetime import datetime

    from adapters.service import Connections, ServiceError
    from adapters.truelayer import Endpoints, TrueLayerClient

    now = datetime.fromisoformat(now_iso)
    failures: Counter[str] = Counter()
    lock = threading.Lock()
    with open_store(kind, location, keys=Keyring(keys, "k1"), schema=schema) as store:
        settings = client_settings_for(base_url)
        with TrueLayerClient(**settings, endpoints=Endpoints.local(base_url)) as client:
            connections = Connections(store=store, client=client, clock=lambda: now)

            def work(offset: int) -> None:
                order = list(connection_ids)
                random.Random(seed_value * 100 + offset).shuffle(order)
                for connection_id in order:
                    try:
                        connections.access_token(connection_id)
                    except ServiceError as error:
                        with lock:
                            failures[type(error).__name__] += 1

            workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    return dict(failures)


def client_settings_for(base_url: str) -> dict[str, Any]:
    """The client's settings but its endpoints (for a process of its own)."""
    return {
        "client_id": "sandbox-client",
        "client_secret": core.Secret("sandbox-secret"),
        "redirect_uri": REDIRECT_URI,
        "retry": FAST,
        "timeout": 10.0,
    }


def crash_during(
    step: str,
    operation: str,
    kind: StoreKind,
    location: str,
    schema: str | None,
    keys: dict[str, bytes],
    base_url: str,
    now_iso: str,
    connection_id: str,
    request_timeout_seconds: float,
    query: Any,
) -> None:
    """In a process of its own: run ``operation`` and die by SIGKILL at ``step``.

    Steps: ``before_call`` (the request is committed, the call not made),
    ``answer_arrived`` (the answer came back, nothing stored yet), ``answer_stored``
    (the journal holds the answer, the decision is not committed) and ``committed``
    (the answer is applied and its journal entry closed).
    """
    import os
    import signal
    from datetime import datetime, timedelta

    from adapters.service import Connections
    from adapters.truelayer import Endpoints, ExtendUser, TrueLayerClient

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    now = datetime.fromisoformat(now_iso)
    policy = core.Policy(request_timeout=timedelta(seconds=request_timeout_seconds))
    calls = {"exchange": "exchange_code", "refresh": "refresh", "extend": "extend"}

    class Dying(TrueLayerClient):
        pass

    def wrap(name: str) -> None:
        real = getattr(TrueLayerClient, name)

        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            if step == "before_call":
                die()
            result = real(self, *args, **kwargs)
            if step == "answer_arrived":
                die()
            return result

        setattr(Dying, name, call)

    wrap(calls[operation])
    with open_store(
        kind, location, keys=Keyring(keys, "k1"), schema=schema, policy=policy
    ) as store:
        real_record, real_commit = store.record_answer, store.commit

        def record_answer(*args: Any, **kwargs: Any) -> Any:
            real_record(*args, **kwargs)
            if step == "answer_stored":
                die()

        def commit(*args: Any, **kwargs: Any) -> Any:
            done = real_commit(*args, **kwargs)
            if step == "committed" and kwargs.get("close_answer") is not None:
                die()
            return done

        store.record_answer = record_answer  # type: ignore[method-assign]
        store.commit = commit  # type: ignore[method-assign]
        with Dying(**client_settings_for(base_url), endpoints=Endpoints.local(base_url)) as client:
            connections = Connections(store=store, client=client, clock=lambda: now, policy=policy)
            if operation == "exchange":
                assert query is not None
                connections.handle_callback(query)
            elif operation == "refresh":
                connections.access_token(connection_id)
            else:
                user = ExtendUser(id="u-1", name="Ada Lovelace", email="ada@example.test")
                connections.extend(connection_id, user=user)
