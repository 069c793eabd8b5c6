"""The documentation's tables that are pure derivations of the core, as Markdown.

The docs site inserts these where a page says ``<!-- generated: NAME -->`` (see
``docs/hooks.py``). Numbers come from a ``Policy``; rows from the region table, the
transition table, the inputs and the exception classes, so a new region, row, input or
error appears without anyone editing a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import get_args, get_type_hints

import attrs

import lifecycle
from lifecycle import DEFAULT_POLICY, Guard, Kind, Policy, Rule, Secret

from ._gantt import TYPICAL_EXPIRES_IN, human
from ._markdown import markdown_table

__all__ = ["clock_table", "error_table", "input_table", "region_table", "transition_table"]


def region_table(policy: Policy) -> str:
    """R7: each region's consent lifetimes and whether it can be extended."""
    rows = []
    for name, region in sorted(policy.regions.items()):
        extend = f"yes, up to {human(policy.extend_window)} after expiry"
        rows.append(
            (
                f"`{name}`",
                human(region.lifetime_offline),
                human(region.lifetime_online),
                extend if region.extendable else "no: a new connection",
                region.note,
            )
        )
    header = ("region", "with `offline_access`", "without", "extend (R9)", "note")
    return markdown_table(header, rows)


def clock_table(policy: Policy) -> str:
    """The clocks: what starts each, how long it runs, and the rule."""
    regions = sorted(policy.regions.items())
    consent = ", ".join(f"{name} {human(r.lifetime_offline)}" for name, r in regions)
    rows = [
        ("code", "callback received", human(policy.code_lifetime), "R3"),
        (
            "access token",
            "exchange or refresh request sent",
            f"`expires_in` (typically {human(TYPICAL_EXPIRES_IN)})",
            "R5",
        ),
        ("refresh token first use", "token received", human(policy.refresh_first_use_window), "R6"),
        ("consent", "consent given or last extended", f"by region: {consent}", "R7, R8"),
        ("extend window", "consent expiry", human(policy.extend_window), "R9"),
    ]
    return markdown_table(("clock", "starts", "length", "rule"), rows)


def error_table() -> str:
    """The exceptions the core raises, with the builtin each one also is."""
    rows = []
    for name in sorted(lifecycle.__all__):
        value = getattr(lifecycle, name)
        if isinstance(value, type) and issubclass(value, lifecycle.LifecycleError):
            builtins = sorted(
                base.__name__
                for base in value.__mro__
                if base.__module__ == "builtins" and base not in (object, BaseException)
            )
            summary = (value.__doc__ or "").strip().splitlines()[0]
            rows.append((f"`{name}`", ", ".join(f"`{b}`" for b in builtins), summary))
    return markdown_table(("exception", "also a", "raised when"), rows)


def transition_table(
    table: Iterable[Rule], guards: Mapping[str, Guard], policy: Policy = DEFAULT_POLICY
) -> str:
    """The transition table itself, one line per row, in declaration order.

    Numbers in guard labels come from ``policy``.
    """
    rows = []
    for row in table:
        rows.append(
            (
                "new" if row.source is None else f"`{row.source.value}`",
                f"`{row.input}`",
                str(row.kind),
                f"`{row.dest.value}`" + (f" ({row.reason.value})" if row.reason else ""),
                ", ".join(guards[name].label_for(policy) for name in row.guards)
                or (f"after `{row.clock}`" if row.kind is Kind.TIME else ""),
                ", ".join(f"`{effect.value}`" for effect in row.effects),
                ", ".join(f"`{effect.value}`" for effect in row.answers),
                row.rule,
            )
        )
    header = ("from", "input", "kind", "to", "guards", "effects", "answers", "rule")
    return markdown_table(header, rows)


# How each field type of an input is written in its JSON line (the replay format).
_JSON_TYPES: dict[object, str] = {
    datetime: "ISO-8601 time with offset",
    str: "string",
    Secret: "string, secret",
    int: "whole number of seconds",
    tuple[str, ...]: "list of strings",
}


def _json_type(hint: object) -> tuple[str, bool]:
    # "X | None" is an optional field of type X.
    args = get_args(hint)
    optional = type(None) in args
    if optional:
        (hint,) = [arg for arg in args if arg is not type(None)]
    if hint not in _JSON_TYPES:
        raise LookupError(
            f"input field type {hint!r} has no JSON description in adapters/diagrams/_tables.py"
        )
    return _JSON_TYPES[hint], optional


def _fields(cls: type) -> str:
    hints = get_type_hints(cls)
    parts = []
    for field in attrs.fields(cls):
        if field.name == "at":
            continue  # every input has it
        text, nullable = _json_type(hints[field.name])
        optional = nullable or field.default is not attrs.NOTHING
        parts.append(f"`{field.name}`: {text}" + (" (optional)" if optional else ""))
    return "; ".join(parts) or "—"


def input_table() -> str:
    """Every input: its ``type``, kind, fields besides ``at``, and what it means.

    Raises:
        LookupError: an input field has a type this table cannot describe yet.
    """
    rows = []
    for name, cls in lifecycle.INPUT_TYPES.items():
        summary = (cls.__doc__ or "").strip().splitlines()[0]
        rows.append((f"`{name}`", str(cls.KIND), _fields(cls), summary))
    return markdown_table(("type", "kind", "fields besides `at`", "meaning"), rows)
