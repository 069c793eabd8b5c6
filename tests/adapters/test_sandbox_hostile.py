"""Hostile requests to the sandbox: a 400 (or 403) that says why, never a 500 or a leak."""

from __future__ import annotations

import json
import math
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sandbox_support import CLIENT_ID, CLIENT_SECRET, connect, error_of

from adapters.sandbox import Fault, Sandbox, SandboxConfig

_START = datetime(2026, 1, 1, tzinfo=UTC)

# Each of these is read as loopback by Python's URL parser (or differs from the
# registered URI only in a part a browser treats differently), yet is not the URI that
# was registered: a browser may take the code elsewhere.
HOSTILE_REDIRECTS = {
    "a backslash before userinfo": "http://evil.example\\@127.0.0.1:5000/callback",
    "userinfo": "http://evil.example@127.0.0.1:5000/callback",
    "a fragment": "http://127.0.0.1:5000/callback#x",
    "a tab in the host": "http://127.0.0.1\t:5000/callback",
    "a newline in the path": "http://127.0.0.1:5000/callback\n",
    "a port out of range": "http://127.0.0.1:70000/callback",
    "a port then userinfo": "http://127.0.0.1:5000@evil.example/callback",
    "a second path": "http://127.0.0.1:5000/callback/../evil",
}


def _dialog(http: httpx.Client, sb: Sandbox, redirect_uri: str) -> httpx.Response:
    return http.get(sb.auth_link(redirect_uri=redirect_uri, state="s"))


@pytest.mark.parametrize("uri", HOSTILE_REDIRECTS.values(), ids=HOSTILE_REDIRECTS.keys())
def test_a_redirect_uri_that_is_not_the_registered_one_is_refused_by_the_dialog_and_extend(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox], uri: str
) -> None:
    sb = start_sandbox(SandboxConfig(redirect_uris=("http://127.0.0.1/callback",)))
    tokens = connect(http, sb)

    page = _dialog(http, sb, uri)
    extended = http.post(
        f"{sb.base_url}/data/v1/connections/extend",
        json={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": tokens["refresh_token"],
            "redirect_uri": uri,
            "user_has_reconfirmed_consent": True,
            "user": {"id": "u", "name": "Ada", "email": "ada@example.com"},
        },
    )

    assert page.status_code == 400
    assert "is not registered" in page.text
    assert error_of(extended) == (400, "validation_error")


def test_a_loopback_redirect_uri_registered_without_a_port_still_matches_with_one(
    http: httpx.Client, start_sandbox: Callable[[SandboxConfig], Sandbox]
) -> None:
    sb = start_sandbox(SandboxConfig(redirect_uris=("http://127.0.0.1/callback?app=1",)))

    assert _dialog(http, sb, "http://127.0.0.1:5000/callback?app=1").status_code == 200
    assert _dialog(http, sb, "http://127.0.0.1/callback?app=1").status_code == 200
    assert _dialog(http, sb, "http://127.0.0.1:5000/callback?app=2").status_code == 400


@pytest.mark.parametrize("field", ["client_id", "client_secret", "refresh_token"])
def test_an_extend_body_with_a_lone_surrogate_is_400_not_500(
    http: httpx.Client, sandbox: Sandbox, field: str
) -> None:
    body = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": "r",
        "redirect_uri": f"{sandbox.base_url}/redirect",
        "user_has_reconfirmed_consent": True,
        "user": {"id": "u", "name": "Ada", "email": "ada@example.com"},
    }
    text = json.dumps(body).replace(f'"{field}": "', f'"{field}": "\\ud800', 1)

    answer = http.post(
        f"{sandbox.base_url}/data/v1/connections/extend",
        content=text.encode(),
        headers={"Content-Type": "application/json"},
    )

    assert error_of(answer) == (400, "validation_error")


def _admin(http: httpx.Client, sb: Sandbox, path: str, text: str) -> httpx.Response:
    # Raw JSON text: NaN and Infinity are what Python's own json module writes.
    return http.post(
        f"{sb.base_url}/_admin/{path}",
        content=text.encode(),
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"advance_seconds": NaN}',
        '{"advance_seconds": Infinity}',
        '{"advance_seconds": -Infinity}',
        '{"advance_seconds": 1e300}',
        '{"advance_seconds": ' + "9" * 400 + "}",
        '{"advance_seconds": 252460800000}',
        '{"set": "9999-12-31T23:00:00-05:00"}',
        '{"set": "0001-01-01T00:00:00+00:00"}',
    ],
    ids=["nan", "infinity", "-infinity", "1e300", "400-digits", "past-9999", "9999", "year-1"],
)
def test_an_admin_clock_move_out_of_range_is_400_and_leaves_the_clock(
    http: httpx.Client, sandbox: Sandbox, text: str
) -> None:
    answer = _admin(http, sandbox, "clock", text)

    assert error_of(answer) == (400, "validation_error")
    assert sandbox.clock.now() == _START
    assert http.get(f"{sandbox.base_url}/_admin/clock").json() == {"now": "2026-01-01T00:00:00Z"}


def test_the_clock_cannot_be_moved_past_the_year_9000_by_steps(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(8999, 12, 31, tzinfo=UTC))

    with pytest.raises(ValueError, match="between the years"):
        sandbox.clock.advance(sandbox.clock.now() - _START)

    assert sandbox.clock.now() == datetime(8999, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e300", "-1", '"60"'])
def test_an_admin_refresh_grace_that_is_no_duration_is_400(
    http: httpx.Client, sandbox: Sandbox, value: str
) -> None:
    answer = _admin(http, sandbox, "config", '{"refresh_grace_seconds": ' + value + "}")

    assert error_of(answer) == (400, "validation_error")
    assert http.get(f"{sandbox.base_url}/_admin/config").json()["refresh_grace_seconds"] == 60


@pytest.mark.parametrize(
    "fault",
    [
        '{"path": "/x", "delay": NaN}',
        '{"path": "/x", "delay": Infinity}',
        '{"path": "/x", "delay": 1e300}',
        '{"path": "/x", "body": "{}", "content_type": "text/html\\r\\nSet-Cookie: a=b"}',
        '{"path": "/x", "body": "{}", "content_type": "text/html\\n"}',
        '{"path": "/x", "body": "{}", "content_type": "text/\u00e9\u4e2d"}',
        '{"path": "/x", "body": "\\ud800"}',
    ],
    ids=["nan", "infinity", "1e300", "crlf", "lf", "non-latin-1", "lone-surrogate"],
)
def test_a_hostile_admin_fault_is_400_and_queues_nothing(
    http: httpx.Client, sandbox: Sandbox, fault: str
) -> None:
    answer = _admin(http, sandbox, "faults", fault)

    assert error_of(answer) == (400, "validation_error")
    listed = http.get(f"{sandbox.base_url}/_admin/faults")
    assert json.loads(listed.text, parse_constant=_no_constant) == {"pending": []}


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


@pytest.mark.parametrize(
    "changes",
    [{"delay": math.nan}, {"delay": math.inf}, {"delay": 7200}, {"content_type": "a/b\r\nX: y"}],
)
def test_a_fault_made_in_python_refuses_the_same_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Fault"):
        Fault(**{"status": 503, **changes})


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.example"},
        {"Host": "127.0.0.1:1"},
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
    ],
    ids=["foreign-host", "other-port", "foreign-origin", "null-origin", "text-plain", "form"],
)
def test_an_admin_change_from_another_site_is_refused_and_changes_nothing(
    http: httpx.Client, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    request = {"Content-Type": "application/json", **headers}

    answer = http.post(
        f"{sandbox.base_url}/_admin/clock", content=b'{"advance_seconds": 60}', headers=request
    )

    assert answer.status_code in (400, 403)
    assert answer.json()["error"] in ("validation_error", "forbidden")
    assert sandbox.clock.now() == _START


def test_an_admin_change_from_the_sandbox_s_own_origin_is_accepted(
    http: httpx.Client, sandbox: Sandbox
) -> None:
    port = sandbox.base_url.rpartition(":")[2]
    answer = http.post(
        f"{sandbox.base_url}/_admin/clock",
        json={"advance_seconds": 60},
        headers={"Origin": sandbox.base_url, "Host": f"localhost:{port}"},
    )

    assert answer.status_code == 200
    assert answer.json() == {"now": "2026-01-01T00:01:00Z"}


@pytest.fixture
def impatient() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(), read_timeout=0.3) as running:
        yield running


def test_a_partial_request_is_dropped_after_the_read_timeout(impatient: Sandbox) -> None:
    port = int(impatient.base_url.rpartition(":")[2])
    partial = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    try:
        for connection in partial:
            connection.sendall(b"GET /_admin/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            connection.settimeout(5)
        started = time.monotonic()
        # The server closes each one (an empty read) instead of waiting for the rest.
        assert all(connection.recv(1024) == b"" for connection in partial)
        assert time.monotonic() - started < 4
    finally:
        for connection in partial:
            connection.close()
    assert httpx.get(f"{impatient.base_url}/_admin/clock").status_code == 200


def test_a_read_timeout_must_be_a_positive_number() -> None:
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="read_timeout"):
            Sandbox(read_timeout=bad)


# -- the fuzz: any request, and the sandbox answers without failing ---------------------

_PATHS = [
    "/",
    "/dialog/decision",
    "/redirect",
    "/connect/token",
    "/data/v1/connections/extend",
    "/data/v1/me",
    "/data/v1/accounts",
    "/data/v1/accounts/acc-1/balance",
    "/api/delete",
    "/_admin/clock",
    "/_admin/faults",
    "/_admin/config",
    "/_admin/calls",
]
_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\x00", "\r", "\n"]))
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | _TEXT
)
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
_KEYS = [
    "client_id",
    "client_secret",
    "refresh_token",
    "redirect_uri",
    "grant_type",
    "code",
    "set",
    "advance_seconds",
    "path",
    "status",
    "delay",
    "body",
    "content_type",
    "count",
    "error",
    "refresh_mode",
    "refresh_grace_seconds",
    "strict_reuse_detection",
    "extend_answer",
    "user",
    "user_has_reconfirmed_consent",
]
_OBJECT = st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=6)


def _body(value: Any) -> bytes:
    # allow_nan (the default) writes NaN/Infinity as Python's parser reads them; a lone
    # surrogate goes out escaped, as a hostile client would send it.
    return json.dumps(value).encode()


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(), read_timeout=2.0) as running:
        yield running


@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
    path=st.sampled_from(_PATHS) | st.text(max_size=30).map(lambda text: "/" + text),
    query=st.dictionaries(st.sampled_from(_KEYS), _TEXT, max_size=4),
    body=_OBJECT.map(_body) | st.binary(max_size=200),
    form=st.booleans(),
)
def test_any_request_is_answered_without_a_server_error(
    http: httpx.Client,
    shared_sandbox: Sandbox,
    method: str,
    path: str,
    query: dict[str, str],
    body: bytes,
    form: bool,
) -> None:
    sb = shared_sandbox
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    safe_query = urlencode(query, errors="surrogatepass")
    try:
        answer = http.request(
            method,
            f"{sb.base_url}{path}",
            params=httpx.QueryParams(safe_query),
            content=body,
            headers={"Content-Type": content_type},
            timeout=5,
        )
    except httpx.InvalidURL:
        return  # httpx itself refuses to send such a URL: nothing reached the sandbox
    finally:
        # One request per example: an injected fault or a clock move ends with it.
        sb.clear_faults()
        sb.clock.set(_START)

    assert answer.status_code < 500, answer.text
    if answer.headers["content-type"] == "application/json":
        json.loads(answer.text, parse_constant=_no_constant)
