"""Diagrams and docs tables generated from the core's single declaration.

Pure text generation from ``lifecycle.TABLE``, ``lifecycle.GUARDS`` and a ``Policy``:
the state diagram (Mermaid and Graphviz DOT, rendered to SVG by Graphviz), one clocks
chart (Mermaid gantt) per region, and the Markdown tables of the documentation. The only
I/O is running Graphviz (``render_svg``) and reading or writing a diagrams directory
(``find_stale``, ``write_diagrams``); ``lifecycle diagram`` is the command around them.
"""

from ._edges import INITIAL, OMITTED_NOTE, STATES, Edge, edges, label_lines
from ._files import GENERATED_GLOBS, Stale, find_stale, write_diagrams
from ._gantt import DAY_ZERO, TYPICAL_EXPIRES_IN, clocks_gantt, human, mermaid_duration
from ._generate import (
    STATE_DOT,
    STATE_MERMAID,
    STATE_SVG,
    clocks_name,
    generate,
    text_diagrams,
)
from ._markdown import MissingDescriptionError
from ._reasons import agenda_table, inactive_reason_table, reason_table
from ._state import state_dot, state_mermaid
from ._svg import GraphvizError, normalise_svg, render_svg
from ._tables import clock_table, error_table, input_table, region_table, transition_table

__all__ = [
    "DAY_ZERO",
    "GENERATED_GLOBS",
    "INITIAL",
    "OMITTED_NOTE",
    "STATES",
    "STATE_DOT",
    "STATE_MERMAID",
    "STATE_SVG",
    "TYPICAL_EXPIRES_IN",
    "Edge",
    "GraphvizError",
    "MissingDescriptionError",
    "Stale",
    "agenda_table",
    "clock_table",
    "clocks_gantt",
    "clocks_name",
    "edges",
    "error_table",
    "find_stale",
    "generate",
    "human",
    "inactive_reason_table",
    "input_table",
    "label_lines",
    "mermaid_duration",
    "normalise_svg",
    "reason_table",
    "region_table",
    "render_svg",
    "state_dot",
    "state_mermaid",
    "text_diagrams",
    "transition_table",
    "write_diagrams",
]
