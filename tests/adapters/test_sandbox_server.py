"""The sandbox as a server: start and stop, loopback only, routing, quiet and secret-free."""

from __future__ import annotations

import ast
import logging
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import adapters.sandbox
from adapters.sandbox import Fault, RefreshMode, Sandbox, SandboxClock, SandboxConfig

_PACKAGE = Path(adapters.sandbox.__file__).parent


def _imported_modules(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_sandbox_imports_nothing_of_the_lifecycle_core() -> None:
    sources = [*_PACKAGE.glob("*.py"), _PACKAGE.parent / "cli" / "_sandbox.py"]
    imported = set().union(*(_imported_modules(source) for source in sources))

    assert len(sources) > 5
    assert not {m for m in imported if m == "lifecycle" or m.startswith("lifecycle.")}


def test_importing_the_sandbox_loads_no_lifecycle_module() -> None:
    probe = (
        "import sys, adapters.sandbox, adapters.cli._sandbox;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'lifecycle'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        cwd=_PACKAGE.parent.parent,
    )

    assert done.stdout.strip() == "[]"


def test_a_sandbox_serves_on_loopback_and_releases_its_port_on_exit(http: httpx.Client) -> None:
    with Sandbox() as sb:
        base_url = sb.base_url
        assert base_url.startswith("http://127.0.0.1:")
        assert http.get(f"{base_url}/_admin/clock").status_code == 200
    port = int(base_url.rsplit(":", 1)[1])

    with socket.socket() as probe:
        # SO_REUSEADDR tolerates closed connections in TIME_WAIT, not a live listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()


def test_a_sandbox_binds_nothing_until_started() -> None:
    sb = Sandbox()

    with pytest.raises(RuntimeError, match="not running"):
        _ = sb.base_url
    sb.stop()  # stopping a sandbox that never ran is harmless


def test_a_sandbox_cannot_be_started_twice(sandbox: Sandbox) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        sandbox.start()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::1", "example.com"])  # noqa: S104
def test_a_sandbox_refuses_to_bind_anything_but_ipv4_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(host=host)


def test_unknown_paths_answer_404_json(http: httpx.Client, sandbox: Sandbox) -> None:
    answer = http.get(f"{sandbox.base_url}/data/v2/nothing")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"] == "not_found"


def test_a_wrong_method_answers_405_json_with_allow(http: httpx.Client, sandbox: Sandbox) -> None:
    answer = http.get(f"{sandbox.base_url}/connect/token")

    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["error"] == "method_not_allowed"


def test_requests_are_not_logged_and_no_token_reaches_the_logs(
    http: httpx.Client,
    sandbox: Sandbox,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="adapters")
    params = sandbox.consent(sandbox.auth_link(state="state-in-query"))
    http.get(f"{sandbox.base_url}/redirect", params={"code": params["code"]})
    http.get(f"{sandbox.base_url}/data/v1/me", headers={"Authorization": "Bearer tok-XYZ-123"})

    out, err = capfd.readouterr()
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("adapters")]
    logged = out + err + "\n".join(ours)
    assert params["code"] not in logged
    assert "tok-XYZ-123" not in logged
    assert "GET /" not in logged


def test_reprs_show_no_secret(sandbox: Sandbox) -> None:
    config = SandboxConfig(client_secret="very-secret-value")

    assert "very-secret-value" not in repr(config)
    assert "very-secret-value" not in repr(Sandbox(config))
    assert "sandbox-secret" not in repr(sandbox)


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"start": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"client_secret": ""}, "non-empty"),
        ({"code_ttl": timedelta(0)}, "code_ttl"),
        ({"refresh_grace": timedelta(seconds=-1)}, "refresh_grace"),
        ({"access_token_ttl": timedelta(seconds=1.5)}, "whole seconds"),
        ({"redirect_uris": "http://127.0.0.1/cb"}, "tuple"),
        ({"refresh_mode": "sometimes"}, "sometimes"),
    ],
)
def test_a_config_that_cannot_work_is_refused_with_a_message(
    fields: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        SandboxConfig(**fields)


def test_a_config_takes_plain_strings_for_its_modes() -> None:
    config = SandboxConfig(refresh_mode="rotating")  # type: ignore[arg-type]

    assert config.refresh_mode is RefreshMode.ROTATING


def test_a_ticking_clock_follows_real_time_from_its_start() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = SandboxClock(start, ticks=True)

    clock.advance(timedelta(hours=1))

    assert timedelta(hours=1) <= clock.now() - start < timedelta(hours=1, seconds=5)


def test_a_frozen_clock_stands_still() -> None:
    clock = SandboxClock(datetime(2026, 1, 1, tzinfo=UTC))

    assert clock.now() == clock.now() == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_stop_does_not_wait_for_a_delayed_answer() -> None:
    sb = Sandbox().start()
    sb.inject("/data/v1/me", Fault(delay=2.0))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{sb.base_url}/data/v1/me", timeout=0.05)

    started = datetime.now(UTC)
    sb.stop()

    assert datetime.now(UTC) - started < timedelta(seconds=1)
