"""The callback how-to's code, run: a reload never exchanges a code twice."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import lifecycle as core

PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "callback-handler.md"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def how_to() -> ModuleType:
    """The page's ``callback.py`` block, as a module."""
    (source,) = re.findall(r'```python title="callback.py"\n(.*?)```', PAGE.read_text(), re.S)
    module = ModuleType("callback")
    exec(compile(source, str(PAGE), "exec"), module.__dict__)  # noqa: S102 - our own page
    return module


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class TokenEndpoint:
    """Records exchanges; answers with tokens, or with a TrueLayer error."""

    def __init__(self, error_type: type[Exception], error: str | None = None) -> None:
        self.calls: list[tuple[str, str | None]] = []
        self.error_type, self.error = error_type, error

    def __call__(self, code: str, verifier: str | None) -> Mapping[str, Any]:
        self.calls.append((code, verifier))
        if self.error:
            raise self.error_type(self.error)
        return {"access_token": "at-1", "expires_in": 3600, "refresh_token": "rt-1"}


def _begin(how_to: ModuleType, connections: Any) -> str:
    link: str = how_to.begin(connections, "c1", "client-1", "https://app.example/cb", T0)
    (state,) = parse_qs(urlsplit(link).query)["state"]
    return state


def _status(connections: Any, clock: Callable[[], datetime]) -> core.Status:
    return core.status_at(connections.load("c1"), clock())[0]


def test_the_link_carries_the_recorded_state_and_a_pkce_challenge(how_to: ModuleType) -> None:
    connections = how_to.Connections()
    link = how_to.begin(connections, "c1", "client-1", "https://app.example/cb", T0)
    query = parse_qs(urlsplit(link).query)
    record = connections.load("c1")
    assert record.link is not None and record.link.state is not None
    assert query["state"] == [record.link.state.reveal()]
    assert query["code_challenge_method"] == ["S256"]
    assert "offline_access" in query["scope"][0].split()


def test_a_callback_exchanges_the_code_once_and_a_reload_exchanges_nothing(
    how_to: ModuleType,
) -> None:
    connections, clock = how_to.Connections(), Clock()
    endpoint = TokenEndpoint(how_to.TokenEndpointError)
    state = _begin(how_to, connections)
    query = {"code": "code-1", "state": state}
    assert how_to.handle_callback(connections, "c1", query, clock, endpoint) == (200, "Connected.")
    record = connections.load("c1")
    assert [code for code, _ in endpoint.calls] == ["code-1"]
    assert record.code is None and record.link is None  # spent secrets are dropped
    assert endpoint.calls[0][1] is not None  # the PKCE verifier went with the code
    assert _status(connections, clock) is core.Status.ACTIVE
    again = how_to.handle_callback(connections, "c1", query, clock, endpoint)
    assert again == (200, "Connection status: active.")
    assert len(endpoint.calls) == 1


def test_a_forged_state_is_refused_without_an_exchange(how_to: ModuleType) -> None:
    connections, clock = how_to.Connections(), Clock()
    endpoint = TokenEndpoint(how_to.TokenEndpointError)
    _begin(how_to, connections)
    status, _ = how_to.handle_callback(
        connections, "c1", {"code": "code-1", "state": "forged"}, clock, endpoint
    )
    assert status == 400 and endpoint.calls == []
    assert _status(connections, clock) is core.Status.AUTHORIZATION_REQUIRED


def test_a_user_who_declines_is_recorded(how_to: ModuleType) -> None:
    connections, clock = how_to.Connections(), Clock()
    endpoint = TokenEndpoint(how_to.TokenEndpointError)
    state = _begin(how_to, connections)
    query = {"error": "access_denied", "state": state}
    assert how_to.handle_callback(connections, "c1", query, clock, endpoint) == (
        200,
        "Not connected.",
    )
    assert connections.load("c1").last_error == "access_denied" and endpoint.calls == []


def test_a_refused_code_sends_the_user_back_to_the_start(how_to: ModuleType) -> None:
    connections, clock = how_to.Connections(), Clock()
    endpoint = TokenEndpoint(how_to.TokenEndpointError, error="invalid_grant")
    state = _begin(how_to, connections)
    status, _ = how_to.handle_callback(
        connections, "c1", {"code": "code-1", "state": state}, clock, endpoint
    )
    assert status == 502 and len(endpoint.calls) == 1
    assert _status(connections, clock) is core.Status.AUTHORIZATION_REQUIRED
    assert connections.load("c1").last_error == "invalid_grant"


def test_a_crash_after_the_stored_exchange_never_exchanges_again(how_to: ModuleType) -> None:
    connections, clock = how_to.Connections(), Clock()
    state = _begin(how_to, connections)

    def crash(code: str, verifier: str | None) -> Mapping[str, Any]:
        raise SystemExit("the process died during the token request")

    with pytest.raises(SystemExit):
        how_to.handle_callback(connections, "c1", {"code": "c", "state": state}, clock, crash)
    endpoint = TokenEndpoint(how_to.TokenEndpointError)
    status, _ = how_to.handle_callback(
        connections, "c1", {"code": "c", "state": state}, clock, endpoint
    )
    assert status == 200 and endpoint.calls == []
    request = connections.load("c1").request  # the exchange is still in flight (R15)
    assert request is not None and request.effect is core.Effect.EXCHANGE_CODE
