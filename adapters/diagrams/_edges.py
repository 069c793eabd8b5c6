"""The edges of the state diagram, derived row by row from the transition table.

Both renderings (Mermaid and Graphviz) draw the same edges with the same label text, so
this module decides what an edge says and the renderers only decide how it looks.

Label grammar, UML-like (``trigger [guard] / action``), one part per line:

- the trigger: the input; a command is prefixed ``«cmd»`` and a time row ``«time»``
  (events have no prefix: they are the common case);
- the guards, in table order, by their display label: ``[code unused, ...]``; a time
  row's "guard" is its clock: ``[after code_expires_at]``;
- the action: a command's effects (``/ exchange_code``), or for a row that sets an
  inactive reason, that reason (``/ inactive: refresh_rejected``).

A row whose status does not change is a UML *internal transition*: the renderers list it
inside its state's box (one line each) instead of drawing a self-loop; a status with eight
self-loops is unreadable as arrows. ``tick`` self-loops (only time passes: every status
answers it and nothing changes) are left out altogether; a ``tick`` row that moved a
connection would be drawn like any other row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import frozen

from lifecycle import DEFAULT_POLICY, Guard, Kind, Policy, Rule, Status

__all__ = ["INITIAL", "OMITTED_NOTE", "STATES", "Edge", "edges", "label_lines"]

INITIAL = "[*]"
"""The pseudo-state before ``connection_started``: the connection does not exist yet."""

STATES: tuple[str, ...] = tuple(status.value for status in Status)
"""The states, in the order the ``Status`` enum declares them (the order of the guide)."""

OMITTED_NOTE = (
    "Rows that keep the status are listed inside the state (internal transitions). "
    "tick rows are omitted: every status answers tick and nothing changes."
)

_PREFIX = {Kind.EVENT: "", Kind.COMMAND: "«cmd» ", Kind.TIME: "«time» "}


@frozen
class Edge:
    """One drawn edge: one row of the table.

    Attributes:
        source: a status value, or ``INITIAL``.
        dest: a status value.
        kind: event, command or time; renderers style edges by it.
        lines: the label, one part per line (trigger, guards, action).
        input: the row's input, so that tests can find a row's edge.
    """

    @property
    def internal(self) -> bool:
        """Whether the row keeps the status (drawn inside the state, not as an arrow)."""
        return self.source == self.dest

    @property
    def text(self) -> str:
        """The label on one line."""
        return " ".join(self.lines)

    source: str
    dest: str
    kind: Kind
    lines: tuple[str, ...]
    input: str


def _omitted(row: Rule) -> bool:
    # Only an idle tick is noise; a tick that moves a connection is information.
    return row.input == "tick" and row.source is row.dest


def _effects(row: Rule) -> str:
    names = [effect.value for effect in row.effects]
    if row.refresh_first:
        # R11: fetch_data asks for a refresh first when the access token has expired.
        return "/ " + ", ".join(names) + " (refresh_token first if expired)"
    return "/ " + ", ".join(names)


def label_lines(
    row: Rule, guards: Mapping[str, Guard], policy: Policy = DEFAULT_POLICY
) -> tuple[str, ...]:
    """The label of one row's edge, one part per line (see the module docstring).

    Numbers in guard labels come from ``policy``.
    """
    lines = [_PREFIX[row.kind] + row.input]
    if row.clock is not None:
        lines.append(f"[after {row.clock}]")
    if row.guards:
        lines.append("[" + ", ".join(guards[name].label_for(policy) for name in row.guards) + "]")
    if row.reason is not None:
        lines.append(f"/ inactive: {row.reason.value}")
    elif row.effects:
        lines.append(_effects(row))
    return tuple(lines)


def edges(
    table: Iterable[Rule], guards: Mapping[str, Guard], policy: Policy = DEFAULT_POLICY
) -> tuple[Edge, ...]:
    """One edge per table row, in table order (so the picture reads like the table).

    Raises:
        KeyError: a row names a guard that ``guards`` does not have.
    """
    return tuple(
        Edge(
            source=INITIAL if row.source is None else row.source.value,
            dest=row.dest.value,
            kind=row.kind,
            lines=label_lines(row, guards, policy),
            input=row.input,
        )
        for row in table
        if not _omitted(row)
    )
