"""Small Markdown helpers shared by the generated documentation tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

from lifecycle import Policy

from ._gantt import human

__all__ = ["MissingDescriptionError", "described", "markdown_table", "numbers"]

_E = TypeVar("_E", bound=StrEnum)
_V = TypeVar("_V")


class MissingDescriptionError(LookupError):
    """An enum value that the docs do not explain yet: add its sentence where named."""


def numbers(policy: Policy) -> dict[str, str]:
    """The policy's durations, by name, as people write them: for ``str.format``."""
    return {
        "code_lifetime": human(policy.code_lifetime),
        "refresh_first_use_window": human(policy.refresh_first_use_window),
        "extend_window": human(policy.extend_window),
        "request_timeout": human(policy.request_timeout),
        "refresh_leeway": human(policy.refresh_leeway),
        "keep_alive_margin": human(policy.keep_alive_margin),
        "reminder_offsets": ", ".join(human(offset) for offset in policy.reminder_offsets),
    }


def _cell(text: str) -> str:
    # Table cells: a pipe ends the cell, and guard labels hold "<".
    return text.replace("|", "\\|").replace("<", "&lt;")


def markdown_table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A Markdown table; cells are escaped (``|`` and ``<``)."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def described(enum: type[_E], sentences: Mapping[_E, _V]) -> Mapping[_E, _V]:
    """``sentences``, after checking that it explains every member of ``enum``.

    Raises:
        MissingDescriptionError: a member has no sentence.
    """
    missing = [member.value for member in enum if member not in sentences]
    if missing:
        raise MissingDescriptionError(
            f"{enum.__name__} values without a description in adapters/diagrams/_reasons.py: "
            + ", ".join(missing)
        )
    return sentences
