"""The sandbox and the client held to one transcription of TrueLayer's Data API v1 pages.

``data_api_shapes`` is written from the documentation alone. Here every endpoint is
walked: the sandbox's answers must have exactly the documented fields, of the documented
types; the client's models must name exactly those fields, with matching types and
required-ness; parsing a sandbox answer must leave nothing unnamed and round-trip; and
the endpoint lists (documented, client, sandbox, reference page) must be the same list.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import NoneType, UnionType
from typing import Any

import attrs
import httpx
import pytest
from data_api_shapes import ENDPOINTS, ERROR, QUEUED, WEBHOOK, Endpoint, Shape, problems
from sandbox_support import bearer, connect

from adapters.sandbox import Sandbox
from adapters.sandbox._api import ENDPOINTS as SANDBOX_ENDPOINTS
from adapters.truelayer import DATA_ENDPOINTS, Webhook
from adapters.truelayer._convert import structure, unstructure

ALL_SCOPES = (
    "info",
    "accounts",
    "balance",
    "cards",
    "transactions",
    "direct_debits",
    "standing_orders",
    "offline_access",
)
IDS = {"account_id": "acc-current-0001", "card_id": "card-credit-0001"}
REFERENCE = Path(__file__).parents[2] / "docs" / "reference" / "data-api.md"
_ROW = re.compile(r"^\| `GET (/data/v1/\S+)` \| (.+?) \| `(\w+)` \|", re.MULTILINE)


def _concrete(path: str) -> str:
    return path.format(**IDS)


@pytest.fixture
def token(http: httpx.Client, sandbox: Sandbox) -> str:
    return str(connect(http, sandbox, scopes=ALL_SCOPES)["access_token"])


def _get(http: httpx.Client, sandbox: Sandbox, path: str, token: str) -> httpx.Response:
    return http.get(f"{sandbox.base_url}{path}", headers=bearer(token))


def test_the_client_the_sandbox_and_the_documents_list_the_same_endpoints_and_scopes() -> None:
    documented = {(e.path, e.scopes) for e in ENDPOINTS}

    client = {(e.path, e.scopes) for e in DATA_ENDPOINTS}
    served = {(e.path, e.scopes) for e in SANDBOX_ENDPOINTS}

    assert client == documented
    assert served == documented
    assert {e.name for e in DATA_ENDPOINTS} == {e.name for e in ENDPOINTS}


def test_the_reference_page_lists_every_endpoint_its_scopes_and_its_client_method() -> None:
    rows = _ROW.findall(REFERENCE.read_text(encoding="utf-8"))
    listed = {
        (path, tuple(re.findall(r"`(\w+)`", scopes)), method)
        for path, scopes, method in rows
        if path != "/data/v1/results/{task_id}"
    }

    assert listed == {(e.path, e.scopes, e.name) for e in ENDPOINTS}
    assert any(path == "/data/v1/results/{task_id}" for path, _, _ in rows)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_sandbox_answer_has_exactly_the_documented_fields_and_types(
    http: httpx.Client, sandbox: Sandbox, token: str, endpoint: Endpoint
) -> None:
    answer = _get(http, sandbox, _concrete(endpoint.path), token)

    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"results", "status"}
    assert body["status"] == "Succeeded"
    results = body["results"]
    assert isinstance(results, list)
    assert len(results) >= 1 if endpoint.many else len(results) == 1
    assert [p for item in results for p in problems(item, endpoint.shape)] == []


def _documented(shape: Shape) -> set[str]:
    return set(shape.fields)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``| None``, and whether it allowed None."""
    if isinstance(annotation, UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not NoneType]
        return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False


_PYTHON = {"string": str, "number": Decimal, "datetime": datetime}


def _model_problems(model: type, shape: Shape) -> list[str]:
    hints = typing.get_type_hints(model)
    fields = attrs.fields_dict(model)
    named = set(fields) - {"extra"}
    found = [f"{model.__name__}.{n}: not documented" for n in named - _documented(shape)]
    found += [f"{model.__name__}.{n}: documented, not named" for n in _documented(shape) - named]
    for name, spec in shape.fields.items():
        if name not in fields:
            continue
        kind, optional = _unwrap(hints[name])
        has_default = fields[name].default is not attrs.NOTHING
        if spec.required and (optional or has_default):
            found.append(f"{model.__name__}.{name}: required, but optional in the model")
        if not spec.required and not has_default:
            found.append(f"{model.__name__}.{name}: optional, but required in the model")
        if isinstance(spec.type, Shape):
            inner = typing.get_args(kind)[0] if spec.many else kind
            found += _model_problems(inner, spec.type)
        elif spec.type == "strings":
            if kind != tuple[str, ...]:
                found.append(f"{model.__name__}.{name}: not tuple[str, ...]")
        elif spec.type == "object":
            if kind != Mapping[str, Any]:
                found.append(f"{model.__name__}.{name}: not a mapping")
        elif kind is not _PYTHON[spec.type]:
            found.append(f"{model.__name__}.{name}: {kind} for a documented {spec.type}")
    return found


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.name != "me"], ids=lambda e: e.name)
def test_each_client_model_names_exactly_the_documented_fields_with_their_types(
    endpoint: Endpoint,
) -> None:
    model = next(e.model for e in DATA_ENDPOINTS if e.name == endpoint.name)
    assert model is not None

    assert _model_problems(model, endpoint.shape) == []


def test_the_webhook_model_names_exactly_the_documented_notification_fields() -> None:
    assert _model_problems(Webhook, WEBHOOK) == []


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.name != "me"], ids=lambda e: e.name)
def test_the_client_reads_every_sandbox_answer_whole_and_round_trips_it(
    http: httpx.Client, sandbox: Sandbox, token: str, endpoint: Endpoint
) -> None:
    model = next(e.model for e in DATA_ENDPOINTS if e.name == endpoint.name)
    assert model is not None
    raw = _get(http, sandbox, _concrete(endpoint.path), token).json()["results"]

    parsed: list[Any] = [structure(item, model) for item in raw]

    for item, made in zip(raw, parsed, strict=True):
        assert made.extra == {}, "a documented field fell into extra"
        assert structure(unstructure(made), model) == made
        assert set(unstructure(made)) <= set(item)


@pytest.mark.parametrize(
    "path",
    ["/data/v1/accounts/nope", "/data/v1/cards/nope/balance", "/data/v1/info"],
    ids=["account_not_found", "card_not_found", "insufficient_permissions"],
)
def test_sandbox_error_bodies_have_the_documented_shape(
    http: httpx.Client, sandbox: Sandbox, path: str
) -> None:
    token = connect(http, sandbox, scopes=("accounts", "cards", "offline_access"))["access_token"]

    answer = _get(http, sandbox, path, token)

    assert answer.status_code in (403, 404)
    assert problems(answer.json(), ERROR) == []


def test_a_queued_call_answers_the_documented_task_shape(
    http: httpx.Client, sandbox: Sandbox, token: str
) -> None:
    answer = _get(http, sandbox, "/data/v1/accounts?async=true", token)

    assert answer.status_code == 200
    assert problems(answer.json(), QUEUED) == []
    assert answer.json()["status"] == "Queued"
