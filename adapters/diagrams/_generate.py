"""Every diagram file, by name: what ``lifecycle diagram`` writes and ``--check`` compares.

The inputs are read from the core *when called* (``lifecycle.TABLE``, ``lifecycle.GUARDS``,
``lifecycle.DEFAULT_POLICY``), not bound at import, so that whatever the core declares
at that moment is what gets drawn; tests pass other inputs explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import lifecycle
from lifecycle import Guard, Policy, Rule

from ._gantt import clocks_gantt
from ._state import state_dot, state_mermaid
from ._svg import render_svg

__all__ = ["STATE_DOT", "STATE_MERMAID", "STATE_SVG", "clocks_name", "generate", "text_diagrams"]

STATE_MERMAID = "lifecycle.mmd"
STATE_DOT = "lifecycle.dot"
STATE_SVG = "lifecycle.svg"


def clocks_name(region: str) -> str:
    """The file name of one region's clocks chart."""
    return f"clocks-{region}.mmd"


def text_diagrams(
    table: Iterable[Rule] | None = None,
    guards: Mapping[str, Guard] | None = None,
    policy: Policy | None = None,
) -> dict[str, str]:
    """The diagrams that are plain text (everything but the SVG), by file name, sorted.

    ``None`` means what the core declares now.

    Raises:
        KeyError: a row names a guard that ``guards`` does not have.
    """
    rows = tuple(lifecycle.TABLE if table is None else table)
    labels = lifecycle.GUARDS if guards is None else guards
    numbers = lifecycle.DEFAULT_POLICY if policy is None else policy
    files = {
        STATE_MERMAID: state_mermaid(rows, labels, numbers),
        STATE_DOT: state_dot(rows, labels, numbers),
    }
    for region in sorted(numbers.regions):
        files[clocks_name(region)] = clocks_gantt(region, numbers)
    return dict(sorted(files.items()))


def generate(
    table: Iterable[Rule] | None = None,
    guards: Mapping[str, Guard] | None = None,
    policy: Policy | None = None,
    render: Callable[[str], str] = render_svg,
) -> dict[str, str]:
    """Every diagram file by name, sorted: the text diagrams and ``render`` of the DOT.

    Raises:
        GraphvizError: the default ``render`` could not run Graphviz.
        KeyError: a row names a guard that ``guards`` does not have.
    """
    files = text_diagrams(table, guards, policy)
    files[STATE_SVG] = render(files[STATE_DOT])
    return dict(sorted(files.items()))
