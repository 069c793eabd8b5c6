"""What the commands print: a table for a person, JSON Lines for a program.

Every command that prints data takes ``--format {auto,table,json}``. ``auto`` (the
default) prints a table when standard output is a terminal and JSON Lines otherwise, so
``lifecycle replay FILE | jq`` needs no flag. Long work (copying or re-encrypting a
store) shows a progress bar with counts on standard error while it runs, when that is a
terminal; errors met on the way are collected and listed once, at the end.

Tables and progress bars come from Rich, an optional extra (``pip install
'truelayer-lifecycle[cli]'``). Without it every command still works: it prints JSON
Lines, and says once on standard error how to get tables.

The width of a table is the terminal's, or ``COLUMNS`` when set (tests fix it that way,
or with ``width=``); 80 columns when neither is known.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import IO, Any

__all__ = [
    "FORMATS",
    "INSTALL_HINT",
    "Column",
    "Output",
    "Progress",
    "add_format_argument",
]

FORMATS = ("auto", "table", "json")
INSTALL_HINT = "tables and progress bars need Rich: pip install 'truelayer-lifecycle[cli]'"

# A table column: its heading, and how a record (one JSON Lines object) fills a cell.
Column = tuple[str, Callable[[Mapping[str, Any]], str]]


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--format`` to a command that prints data."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="table: for a person; json: JSON Lines, one object a line, for a program; "
        "auto (the default): a table on a terminal, JSON Lines when piped",
    )
    parser.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help="print JSON Lines (the same as --format json)",
    )


def _rich() -> ModuleType | None:
    # Imported when a table is wanted, never at import time: `lifecycle replay FILE | jq`
    # must not pay for it, and must work without it.
    try:
        import rich.console
    except ImportError:
        return None
    return rich


def _isatty(stream: IO[str]) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Output:
    """Where a command's results go, and in which form.

    Args:
        format: ``auto``, ``table`` or ``json`` (see the module docstring).
        stdout: where data goes (default: ``sys.stdout``).
        stderr: where hints, progress and errors go (default: ``sys.stderr``).
        width: the table width in columns (default: ``COLUMNS``, the terminal's, or 80).
        interactive: draw progress bars on ``stderr`` (default: when it is a terminal).
    """

    def __init__(
        self,
        format: str = "auto",
        *,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        width: int | None = None,
        interactive: bool | None = None,
    ) -> None:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self._width = width
        self._interactive = _isatty(self.stderr) if interactive is None else interactive
        self._hinted = False
        wants_table = format == "table" or (format == "auto" and _isatty(self.stdout))
        self._module = _rich() if wants_table or self._interactive else None
        #: Whether data is printed as tables (else as JSON Lines).
        self.tables = wants_table and self._module is not None
        if wants_table and self._module is None:
            self.hint()

    def hint(self) -> None:
        """Say once on stderr how to get tables and progress bars."""
        if not self._hinted:
            self._hinted = True
            print(f"lifecycle: {INSTALL_HINT}; printing JSON Lines", file=self.stderr)

    def _console(self, stream: IO[str], terminal: bool = False) -> Any:
        assert self._module is not None
        return self._module.console.Console(
            file=stream,
            width=self._width,
            force_terminal=True if terminal else None,
            highlight=False,
            markup=False,
            emoji=False,
        )

    def json_lines(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Print each record as one line of JSON."""
        for record in records:
            self.stdout.write(json.dumps(record) + "\n")
        self.stdout.flush()

    def table(
        self, columns: Sequence[Column], records: Iterable[Mapping[str, Any]], title: str = ""
    ) -> None:
        """Print the records as a table (``self.tables``) or as JSON Lines."""
        if not self.tables:
            self.json_lines(records)
            return
        rows = [[cell(record) for _, cell in columns] for record in records]
        self.grid([heading for heading, _ in columns], rows, title)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        title: str = "",
        header: bool = True,
    ) -> None:
        """Print rows of text under headings as a table (needs ``self.tables``).

        The first two columns (a time, a name) are never wrapped; the others wrap at
        word boundaries when the table is wider than the terminal.
        """
        assert self._module is not None
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(
            box=box.SIMPLE_HEAD, title=title or None, title_justify="left", show_header=header
        )
        console = self._console(self.stdout)
        # Wrap between words, not inside one: each column is at least as wide as its
        # longest word (a status, a reason) when the terminal has room for that.
        longest = [
            max(
                len(word)
                for text in (heading, *(row[n] for row in rows))
                for word in [*text.split(), ""]
            )
            for n, heading in enumerate(headings)
        ]
        fits = sum(longest) + 3 * len(headings) <= console.width
        for number, heading in enumerate(headings):
            table.add_column(
                heading,
                no_wrap=number == 1 and fits,
                min_width=longest[number] if fits else None,
                overflow="fold",
            )
        for row in rows:
            # Text, not str: a cell such as "[state matches]" is not Rich markup.
            table.add_row(*(Text(cell) for cell in row))
        console.print(table)

    @contextmanager
    def progress(self, label: str, total: int) -> Iterator[Progress]:
        """A progress bar for ``total`` steps of long work, on stderr while it runs."""
        if not self._interactive or self._module is None:
            yield Progress(None, None)
            return
        from rich import progress as bars

        display = bars.Progress(
            bars.TextColumn("{task.description}"),
            bars.BarColumn(),
            bars.MofNCompleteColumn(),
            bars.TimeElapsedColumn(),
            console=self._console(self.stderr, terminal=True),
        )
        with display:
            yield Progress(display, display.add_task(label, total=total))

    def problems(self, prog: str, errors: Sequence[str], limit: int = 20) -> None:
        """List errors once on stderr: a count, then the first ``limit`` of them."""
        if not errors:
            return
        print(f"{prog}: {len(errors)} problem(s):", file=self.stderr)
        for error in errors[:limit]:
            print(f"  {error}", file=self.stderr)
        if len(errors) > limit:
            print(f"  ... and {len(errors) - limit} more", file=self.stderr)


class Progress:
    """One running piece of long work: count steps as they are done."""

    def __init__(self, display: Any, task: Any) -> None:
        self._display = display
        self._task = task
        #: Steps done so far.
        self.done = 0

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` more steps as done."""
        self.done += steps
        if self._display is not None:
            self._display.update(self._task, completed=self.done)

    def total(self, total: int) -> None:
        """Change the number of steps expected."""
        if self._display is not None:
            self._display.update(self._task, total=total)
