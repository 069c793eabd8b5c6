"""Strategies for inputs: every input type, with valid fields, at a given time.

``fields_for`` gives the fields of one input type but ``at``; ``inputs`` builds whole
inputs. The values are valid for the input (it builds without error); whether the core
*accepts* the input depends on the record it meets, which is what ``timelines`` handle.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from .._inputs import INPUT_TYPES, Input
from .._limits import LONGEST
from .._policy import DEFAULT_POLICY, Policy
from ._fields import T0, error_codes, instants, regions, scope_sets, secrets, texts

__all__ = ["fields_for", "input_types", "inputs", "request_numbers"]

_LONGEST_SECONDS = int(LONGEST.total_seconds())


def request_numbers() -> st.SearchStrategy[int | None]:
    """What an answer names: ``None`` (the one in flight) or a request number."""
    return st.none() | st.integers(1, 10**6)


def _expires_in() -> st.SearchStrategy[int]:
    # R5: typically an hour; sometimes none at all, sometimes up to the longest allowed.
    return st.sampled_from([0, 1, 60, 3599, 3600]) | st.integers(0, _LONGEST_SECONDS)


def _grant(*, refresh_required: bool = False) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "expires_in": _expires_in(),
        "access_token": st.none() | secrets(),
        "refresh_token": secrets() if refresh_required else st.none() | secrets(),
        "request": request_numbers(),
    }


def _rejection() -> dict[str, st.SearchStrategy[Any]]:
    return {"error": error_codes(), "request": request_numbers()}


def fields_for(
    input_type: str, policy: Policy = DEFAULT_POLICY, *, start: datetime = T0
) -> st.SearchStrategy[dict[str, Any]]:
    """The fields of one input type but ``at``, each valid for it.

    Args:
        input_type: a key of ``lifecycle.INPUT_TYPES``.
        policy: regions are drawn from its table; reported expiries hug its deadlines.
        start: reported consent expiries (R10) are drawn after this.

    Raises:
        KeyError: ``input_type`` is not an input type.
    """
    if input_type not in INPUT_TYPES:
        raise KeyError(f"{input_type!r} is not an input type; see lifecycle.INPUT_TYPES")
    return _specs(policy, start).get(input_type, _NONE)


_NONE: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries({})


@lru_cache(maxsize=64)
def _specs(policy: Policy, start: datetime) -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    # Built once per policy and start: building strategies costs more than drawing them.
    specs: dict[str, dict[str, st.SearchStrategy[Any]]] = {
        "connection_started": {"region": regions(policy), "scopes": scope_sets()},
        "link_issued": {"state": secrets(), "code_verifier": st.none() | secrets()},
        "user_authorised": {"code": secrets(), "state": st.none() | secrets()},
        "user_denied": {"error": error_codes(), "state": st.none() | secrets()},
        "code_exchanged": _grant(),
        "code_rejected": _rejection(),
        "token_refreshed": _grant(),
        "refresh_rejected": _rejection(),
        "consent_reconfirmed": {"evidence": texts()},
        "extension_granted": _grant(refresh_required=True),
        "extension_needs_authentication": {
            "user_input_link": st.just("https://auth.truelayer-sandbox.com/reauth") | texts(),
            "request": request_numbers(),
        },
        "fetch_failed": {"error": error_codes(), "access_token": st.none() | secrets()},
        "request_failed": _rejection(),
        "outcome_unknown": _rejection(),
        "token_lost": _rejection(),
        "revoked": {"request": request_numbers()},
        "consent_expiry_reported": {"consent_expires_at": instants(policy, start=start)},
    }
    return {kind: st.fixed_dictionaries(spec) for kind, spec in specs.items()}


def input_types(*, kinds: frozenset[str] | None = None) -> st.SearchStrategy[str]:
    """Input type names, all of them or those of ``kinds``."""
    return st.sampled_from(sorted(kinds if kinds is not None else INPUT_TYPES))


@st.composite
def _inputs(
    draw: st.DrawFn,
    input_type: str | None,
    at: st.SearchStrategy[datetime],
    policy: Policy,
) -> Input:
    kind = input_type if input_type is not None else draw(input_types())
    moment = draw(at)
    fields = draw(fields_for(kind, policy))
    if kind == "consent_expiry_reported":
        # R10: /me reports an expiry near the moment it is asked, before or after.
        fields["consent_expires_at"] = draw(instants(policy, start=moment - timedelta(days=1)))
    return INPUT_TYPES[kind](moment, **fields)


def inputs(
    input_type: str | None = None,
    *,
    at: st.SearchStrategy[datetime] | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> st.SearchStrategy[Input]:
    """Inputs with valid fields: of one type, or of any type.

    Args:
        input_type: a key of ``lifecycle.INPUT_TYPES``; ``None`` for any type.
        at: the times to draw; by default ``instants(policy)``.
        policy: the policy whose regions and deadlines the values come from.

    Raises:
        KeyError: ``input_type`` is not an input type (at once, not when drawing).
    """
    if input_type is not None and input_type not in INPUT_TYPES:
        raise KeyError(f"{input_type!r} is not an input type; see lifecycle.INPUT_TYPES")
    return _inputs(input_type, at if at is not None else instants(policy), policy)
