"""The how-to's code (docs/how-to/truelayer-client.md) runs against the sandbox as written."""

from __future__ import annotations

import re
import types
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_client_support import USER, consent

import lifecycle
from adapters.sandbox import Sandbox
from adapters.truelayer import CallbackCode, Endpoints, TrueLayerClient, parse_callback

DOC = Path(__file__).parents[2] / "docs" / "how-to" / "truelayer-client.md"
_BLOCK = re.compile(r'```python title="lifecycle_with_client.py"\n(.*?)```', re.DOTALL)


@pytest.fixture(scope="module")
def how_to() -> Any:
    text = DOC.read_text(encoding="utf-8")
    match = _BLOCK.search(text)
    assert match is not None, "the how-to lost its lifecycle_with_client.py block"
    # Pad with the lines before the block, so tracebacks point at the doc's own lines.
    source = "\n" * text[: match.start(1)].count("\n") + match.group(1)
    module = types.ModuleType("lifecycle_with_client")
    exec(compile(source, str(DOC), "exec"), module.__dict__)  # noqa: S102
    return module


@pytest.fixture
def client(sandbox: Sandbox) -> Any:
    with TrueLayerClient(
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        redirect_uri="http://127.0.0.1/callback",
        endpoints=Endpoints.local(sandbox.base_url),
    ) as opened:
        yield opened


def test_the_how_to_runs_a_connection_from_link_to_deletion(
    how_to: Any, client: TrueLayerClient, sandbox: Sandbox
) -> None:
    now = sandbox.clock.now()
    record, link = how_to.begin(client, now)
    record = how_to.on_callback(client, record, link, consent(link), now)
    assert record.status is lifecycle.Status.ACTIVE

    record, accounts = how_to.read_accounts(client, record, now)
    assert len(accounts) == 3
    later = sandbox.clock.advance(timedelta(hours=2))  # R5: the core refreshes first
    record, accounts = how_to.read_accounts(client, record, later)
    assert len(accounts) == 3
    client.refresh(record.grant.refresh_token)  # another worker supersedes the token (R5)
    record, accounts = how_to.read_accounts(client, record, later)  # 401: refresh, retry
    assert len(accounts) == 3

    record = how_to.extend(client, record, USER, later)
    assert lifecycle.deadlines(record, later).consent_expires_at == later + timedelta(days=90)
    record = how_to.revoke(client, record, later)
    assert lifecycle.status_at(record, later) == (
        lifecycle.Status.INACTIVE,
        lifecycle.InactiveReason.REVOKED,
    )
    refused = lifecycle.apply(record, lifecycle.Refresh(later))  # R12: nothing revives it
    assert refused.reason is lifecycle.Reason.REVOKED


def test_the_how_to_handles_a_declined_consent(
    how_to: Any, client: TrueLayerClient, sandbox: Sandbox
) -> None:
    now = sandbox.clock.now()
    record, link = how_to.begin(client, now)

    record = how_to.on_callback(client, record, link, consent(link, allow=False), now)

    assert record.status is lifecycle.Status.AUTHORIZATION_REQUIRED
    assert record.last_error == "access_denied"
    assert sandbox.calls("/connect/token") == 0


def test_the_how_to_records_a_late_code_as_rejected(
    how_to: Any, client: TrueLayerClient, sandbox: Sandbox
) -> None:
    now = sandbox.clock.now()
    record, link = how_to.begin(client, now)
    query = consent(link)
    sandbox.clock.advance(timedelta(minutes=5))  # TrueLayer's code clock ran out (R3)

    record = how_to.on_callback(client, record, link, query, now + timedelta(seconds=30))

    assert record.status is lifecycle.Status.AUTHORIZATION_REQUIRED
    assert record.last_error == "invalid_grant"


_READ = re.compile(r'```python title="read_data.py"\n(.*?)```', re.DOTALL)


def test_the_how_to_reads_every_kind_of_data_as_written(client: TrueLayerClient) -> None:
    text = DOC.read_text(encoding="utf-8")
    match = _READ.search(text)
    assert match is not None, "the how-to lost its read_data.py block"
    source = "\n" * text[: match.start(1)].count("\n") + match.group(1)
    link = client.auth_link(
        scopes=(
            "info",
            "accounts",
            "balance",
            "transactions",
            "cards",
            "standing_orders",
            "direct_debits",
        ),
        providers=("uk-cs-mock",),
    )
    callback = parse_callback(consent(link), link.state)
    assert isinstance(callback, CallbackCode)
    grant = client.exchange_code(callback.code, code_verifier=link.code_verifier)
    names: dict[str, Any] = {
        "client": client,
        "token": grant.access_token,
        "account_id": "acc-current-0001",
    }

    exec(compile(source, str(DOC), "exec"), names)  # noqa: S102

    assert len(names["december"]) == 1  # of the last account, the EUR business one
    assert len(names["orders"]) == 2
    assert len(names["debits"]) == 2
    assert len(names["cards"]) == 2
    assert names["holder"].full_name == "Ada Lovelace"
