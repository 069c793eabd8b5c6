"""Helpers of the relay's tests: a receiver process to start, kill and restart; seeding."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import lifecycle as core
from adapters.sandbox import Sandbox
from adapters.service import Connections
from adapters.truelayer import Endpoints, RetryPolicy, TrueLayerClient

SCOPES = ("info", "accounts", "balance", "transactions", "offline_access")
PROVIDERS = "uk-cs-mock"
SECRET = b"relay-test-secret-0123456789"
_SCRIPT = Path(__file__).with_name("webhook_receiver.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Receiver:
    """The webhook receiver process on a fixed port, logging to ``log``."""

    def __init__(self, log: Path, port: int | None = None) -> None:
        self.log = log
        self.port = free_port() if port is None else port
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/lifecycle"

    def start(self, *, answer: int = 200, die_at: int = 0) -> Receiver:
        command = [sys.executable, str(_SCRIPT), str(self.port), str(self.log)]
        command += ["--answer", str(answer), "--die-at", str(die_at)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def wait_dead(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def requests(self) -> list[dict[str, Any]]:
        """Every request logged (answered), in arrival order."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text("utf-8").splitlines()]


def client(sandbox: Sandbox) -> TrueLayerClient:
    return TrueLayerClient(
        client_id="sandbox-client",
        client_secret=core.Secret("sandbox-secret"),
        redirect_uri="http://127.0.0.1/callback",
        endpoints=Endpoints.local(sandbox.base_url),
        retry=RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.001, wait_max=0.005),
        timeout=5.0,
    )


def seed(connections: Connections, sandbox: Sandbox, count: int, revoked: int = 0) -> list[str]:
    """``count`` active connections (link, consent, exchange), the first ``revoked`` of
    them revoked: each leaves its events in the outbox."""
    # All links first, then every consent: the connections' events interleave.
    links = [
        connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS) for _ in range(count)
    ]
    made = []
    for link in links:
        outcome = connections.handle_callback(sandbox.consent(link.url))
        assert outcome.connected, outcome
        made.append(link.connection_id)
    for connection_id in made[:revoked]:
        connections.revoke(connection_id)
    return made
