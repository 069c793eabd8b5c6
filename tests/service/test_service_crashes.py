"""Crash-safe rotated tokens (R15): a process killed with SIGKILL at each step of an
exchange, a refresh and an extension; another process then recovers the connection."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from datetime import timedelta
from typing import Any

import pytest
from connections_support import PROVIDERS, SCOPES, crash_during, open_store, sync_client

import lifecycle as core
from adapters.sandbox import RefreshMode, Sandbox, SandboxConfig
from adapters.service import Connections, ServiceError
from adapters.stores import Keyring
from adapters.truelayer import ExtendUser

STEPS = ("before_call", "answer_arrived", "answer_stored", "committed")
MODES = {
    "reusable": SandboxConfig(refresh_mode=RefreshMode.REUSABLE),
    "grace": SandboxConfig(refresh_mode=RefreshMode.ROTATING_WITH_GRACE),
    "strict": SandboxConfig(refresh_mode=RefreshMode.ROTATING, strict_reuse_detection=True),
}
# Shorter than the sandbox's 60 s rotation grace: a crashed refresh is resolved while
# its old refresh token is still accepted (set it below the bank's grace in production).
TIMEOUT = timedelta(seconds=30)
POLICY = core.Policy(request_timeout=TIMEOUT)
USER = ExtendUser(id="u-1", name="Ada Lovelace", email="ada@example.test")

# What a connection becomes once recovered: active, back to authorization_required (a
# code is never sent twice, R3), or inactive with token_lost — never silently lost.
AC, AR, LOST = "active", "authorization_required", "token_lost"
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("exchange", "before_call"): {"reusable": AR, "grace": AR, "strict": AR},
    ("exchange", "answer_arrived"): {"reusable": AR, "grace": AR, "strict": AR},
    ("exchange", "answer_stored"): {"reusable": AC, "grace": AC, "strict": AC},
    ("exchange", "committed"): {"reusable": AC, "grace": AC, "strict": AC},
    ("refresh", "before_call"): {"reusable": AC, "grace": AC, "strict": AC},
    ("refresh", "answer_arrived"): {"reusable": AC, "grace": AC, "strict": LOST},
    ("refresh", "answer_stored"): {"reusable": AC, "grace": AC, "strict": AC},
    ("refresh", "committed"): {"reusable": AC, "grace": AC, "strict": AC},
    ("extend", "before_call"): {"reusable": AC, "grace": AC, "strict": AC},
    # The sandbox's extension replaces the refresh token in every mode (R9): an answer
    # lost before it was stored leaves no token that works, and says so.
    ("extend", "answer_arrived"): {"reusable": LOST, "grace": LOST, "strict": LOST},
    ("extend", "answer_stored"): {"reusable": AC, "grace": AC, "strict": AC},
    ("extend", "committed"): {"reusable": AC, "grace": AC, "strict": AC},
}


def _state(connections: Connections, connection_id: str) -> str:
    view = connections.status(connection_id)
    if view.status is core.Status.INACTIVE:
        assert view.inactive_reason is not None
        return view.inactive_reason.value
    return view.status.value


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("operation", ["exchange", "refresh", "extend"])
def test_a_process_killed_mid_request_loses_no_connection_silently(
    operation: str, step: str, mode: str, tmp_path: Any
) -> None:
    raw = {"k1": os.urandom(32)}
    keys, path = Keyring(raw, "k1"), str(tmp_path / "crash.db")
    with (
        Sandbox(MODES[mode]) as sandbox,
        open_store("sqlite", path, keys=keys, policy=POLICY) as store,
        sync_client(sandbox) as client,
    ):
        connections = Connections(
            store=store, client=client, clock=sandbox.clock.now, policy=POLICY
        )
        link = connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
        cid, query = link.connection_id, sandbox.consent(link.url)
        if operation != "exchange":
            assert connections.handle_callback(query).connected
            sandbox.clock.advance(timedelta(hours=1))  # the access token has expired
            if operation == "extend":
                connections.access_token(cid)
                connections.reconfirm(cid, evidence="in-app banner")

        process = multiprocessing.get_context("spawn").Process(
            target=crash_during,
            args=(step, operation, "sqlite", path, None, raw, sandbox.base_url,
                  sandbox.clock.now().isoformat(), cid, TIMEOUT.total_seconds(),
                  dict(query) if operation == "exchange" else None),
        )  # fmt: skip
        process.start()
        process.join(60)
        assert process.exitcode == -9, "the process did not die where it should"

        # Another process starts: it resolves what the journal holds at once, and what
        # is unresolved once the request's time limit has passed.
        connections.recover()
        sandbox.clock.advance(TIMEOUT + timedelta(seconds=1))
        connections.resolve(cid)
        if _state(connections, cid) == AC:
            with contextlib.suppress(ServiceError):
                connections.access_token(cid)
        state = _state(connections, cid)
        assert state == EXPECTED[(operation, step)][mode]
        if state == AC:
            assert len(connections.accounts(cid)) == 3  # the token in the store works
        kinds = [event.type for event in connections.events(connection_id=cid, limit=100)]
        if state == LOST:
            assert kinds[-1] == "connection.token_lost"  # never silent
        if state == AR:
            assert kinds[-1] == "connection.reauth_required"
        assert store.get(cid).record.request is None
        assert not store.open_answers(10)
