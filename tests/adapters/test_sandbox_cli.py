"""``lifecycle sandbox``: the subcommand's options, its banner, its stop, its errors."""

from __future__ import annotations

import argparse
import io
import re
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from adapters.cli import _sandbox
from adapters.sandbox import RefreshMode, SandboxConfig


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lifecycle")
    _sandbox.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def _wait_for(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the sandbox")
        time.sleep(0.01)


def test_the_sandbox_subcommand_has_loopback_defaults_and_takes_its_options() -> None:
    defaults = _parse("sandbox")
    chosen = _parse(
        "sandbox",
        "--port",
        "0",
        "--refresh-mode",
        "rotating_with_grace",
        "--client-id",
        "my-app",
        "--client-secret",
        "my-secret",
    )

    assert (defaults.host, defaults.port, defaults.refresh_mode) == ("127.0.0.1", 8080, "reusable")
    assert (chosen.port, chosen.refresh_mode, chosen.client_id) == (
        0,
        "rotating_with_grace",
        "my-app",
    )
    assert callable(chosen.run)


def test_an_unknown_refresh_mode_is_refused_by_the_parser() -> None:
    with pytest.raises(SystemExit):
        _parse("sandbox", "--refresh-mode", "sometimes")


def test_serve_prints_the_base_url_and_credentials_and_stops_when_asked(
    http: httpx.Client,
) -> None:
    out = io.StringIO()
    stop = threading.Event()
    config = SandboxConfig(client_id="demo-app", refresh_mode=RefreshMode.ROTATING)
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(
            _sandbox.serve(config, host="127.0.0.1", port=0, out=out, stop=stop)
        )
    )
    runner.start()
    try:
        _wait_for(lambda: "Ctrl-C" in out.getvalue())
        banner = out.getvalue()
        found = re.search(r"TrueLayer sandbox at (http://127\.0\.0\.1:\d+)", banner)
        assert found is not None
        assert "demo-app" in banner
        assert "sandbox-secret" in banner
        assert "rotating" in banner
        assert http.get(f"{found.group(1)}/_admin/clock").status_code == 200
    finally:
        stop.set()
        runner.join(timeout=5)

    assert result == [0]


def test_serve_reports_a_busy_port_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        status = _sandbox.serve(SandboxConfig(), host="127.0.0.1", port=port, out=io.StringIO())

    assert status == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_a_non_loopback_host_exits_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("sandbox", "--host", "192.0.2.10", "--port", "0")

    assert args.run(args) == 2
    assert "loopback" in capsys.readouterr().err


def test_importing_the_cli_module_starts_no_server() -> None:
    assert not [t for t in threading.enumerate() if t.name == "truelayer-sandbox"]
