"""The callback how-to's code, run against the sandbox: a reload never exchanges twice."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import urlencode

import pytest

import lifecycle as core
from adapters.sandbox import Sandbox, SandboxConfig
from adapters.service import Connections
from adapters.stores import MemoryStore
from adapters.truelayer import Endpoints, TrueLayerClient

PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "callback-handler.md"


@pytest.fixture
def how_to() -> ModuleType:
    """The page's ``routes.py`` block, as a module."""
    (source,) = re.findall(r'```python title="routes.py"\n(.*?)```', PAGE.read_text(), re.S)
    module = ModuleType("routes")
    exec(compile(source, str(PAGE), "exec"), module.__dict__)  # noqa: S102 - our own page
    return module


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig()) as running:
        yield running


@pytest.fixture
def connections(sandbox: Sandbox) -> Iterator[Connections]:
    with (
        TrueLayerClient(
            client_id="sandbox-client",
            client_secret=core.Secret("sandbox-secret"),
            redirect_uri="http://127.0.0.1/callback",
            endpoints=Endpoints.local(sandbox.base_url),
        ) as client,
        MemoryStore() as store,
    ):
        yield Connections(store=store, client=client, clock=sandbox.clock.now)


def test_a_user_connects_and_a_reload_of_the_callback_exchanges_nothing(
    how_to: ModuleType, connections: Connections, sandbox: Sandbox
) -> None:
    status, url = how_to.connect(connections, providers="uk-cs-mock")
    assert status == 302 and url.startswith(sandbox.base_url)
    query = urlencode(sandbox.consent(url))
    status, message = how_to.callback(connections, query)
    assert status == 200 and message.startswith("Connected: ")
    assert how_to.callback(connections, query)[0] == 200  # a reload: the stored outcome
    assert sandbox.calls("/connect/token") == 1


def test_a_forged_callback_is_refused_and_exchanges_nothing(
    how_to: ModuleType, connections: Connections, sandbox: Sandbox
) -> None:
    how_to.connect(connections, providers="uk-cs-mock")
    assert how_to.callback(connections, "code=forged&state=not-ours")[0] == 400
    assert sandbox.calls("/connect/token") == 0


def test_a_user_who_declines_is_not_connected(
    how_to: ModuleType, connections: Connections, sandbox: Sandbox
) -> None:
    _, url = how_to.connect(connections, providers="uk-cs-mock")
    declined = sandbox.consent(url, allow=False)
    status, message = how_to.callback(
        connections, "&".join(f"{k}={v}" for k, v in declined.items())
    )
    assert (status, message) == (200, "Not connected (access_denied).")
