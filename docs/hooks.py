"""MkDocs hooks: generated content from the core, and Mermaid shipped with the site.

- ``on_files`` puts Mermaid (``node_modules/mermaid/dist/mermaid.min.js``, installed by
  ``npm ci`` from the pinned ``package.json``) and the committed ``diagrams/*`` into the
  site, so the built site makes no request to any other host: Material for MkDocs loads
  Mermaid from a CDN only when no ``mermaid`` global exists, and ``extra_javascript``
  provides one.
- ``on_page_markdown`` replaces ``<!-- generated: NAME [ARG] -->`` with Markdown made
  from the core at build time (tables, CLI help, a replay of the example), so no page
  holds a hand-copied number.
- ``on_page_content`` links every rule code in the text (R1 to R15, in prose and in the
  API reference's docstrings) to its entry in the glossary; ``on_post_page`` drops the
  hover titles that would show the private module an object is defined in.

A missing Mermaid, an unknown NAME or a failing generator is a warning, which
``mkdocs build --strict`` turns into a failed build.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

_ROOT = Path(__file__).resolve().parent.parent
# The package is normally installed (editable) in the environment; this makes the
# hooks work from a plain checkout too.
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import lifecycle  # noqa: E402
from adapters import diagrams  # noqa: E402
from adapters.cli import main as cli_main  # noqa: E402
from adapters.cli._replay import replay  # noqa: E402

log = logging.getLogger("mkdocs.hooks.lifecycle")

MERMAID_JS = Path("node_modules/mermaid/dist/mermaid.min.js")
MERMAID_URI = "assets/javascripts/mermaid.min.js"
DIAGRAMS_URI = "assets/diagrams"
EXAMPLE = Path("examples/uk-connection.jsonl")
_MARKER = re.compile(r"<!-- generated: ([a-z-]+)(?: ([a-z_]+))? -->")
GLOSSARY = "reference/glossary/"
_RULE = re.compile(r"\bR(1[0-5]|[1-9])\b")
# Text inside these is left alone: code, links, headings, diagrams' sources.
_KEEP = {"a", "code", "pre", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6", "title"}
_TAG = re.compile(r"(<[^>]+>)")
_TAG_NAME = re.compile(r"</?([a-zA-Z0-9]+)")
_PRIVATE_TITLE = re.compile(r' title="[^"]*\._[a-z][^"]*"')


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add Mermaid and the committed diagrams to the site's files."""
    root = Path(config.config_file_path).parent
    mermaid = root / MERMAID_JS
    if mermaid.is_file():
        files.append(File.generated(config, MERMAID_URI, abs_src_path=str(mermaid)))
    else:
        log.warning(
            "%s is missing: run `npm ci` at the repository root. Without it the pages "
            "would load Mermaid from a CDN and the site would not work offline.",
            MERMAID_JS,
        )
    for path in sorted((root / "diagrams").glob("*")):
        if path.suffix in {".mmd", ".dot", ".svg"}:
            uri = f"{DIAGRAMS_URI}/{path.name}"
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def _fenced(language: str, text: str) -> str:
    return f"```{language}\n{text.rstrip()}\n```\n"


def _example_lines(root: Path) -> list[str]:
    return (root / EXAMPLE).read_text(encoding="utf-8").splitlines()


def _replay_output(root: Path) -> list[dict[str, Any]]:
    return list(replay(_example_lines(root)))


def _report(root: Path, which: str) -> str:
    # One report pretty-printed, to explain the fields: the first refused one
    # ("refused"), or the first for an input type.
    for report in _replay_output(root):
        if (not report["accepted"]) if which == "refused" else report["type"] == which:
            return _fenced("json", json.dumps(report, indent=2))
    raise LookupError(f"{EXAMPLE} has no report for {which!r}")


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    # argparse wraps help to the terminal's width; the docs must not depend on it.
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def _help(argument: str | None) -> str:
    argv = ["--help"] if argument is None else [argument, "--help"]
    out = io.StringIO()
    with _columns(72), contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        cli_main(argv)
    return _fenced("text", out.getvalue())


def _generators(root: Path) -> dict[str, Callable[[str | None], str]]:
    policy, table, guards = lifecycle.DEFAULT_POLICY, lifecycle.TABLE, lifecycle.GUARDS
    return {
        "region-table": lambda _: diagrams.region_table(policy),
        "clock-table": lambda _: diagrams.clock_table(policy),
        "reason-table": lambda _: diagrams.reason_table(policy),
        "inactive-reason-table": lambda _: diagrams.inactive_reason_table(table, policy),
        "error-table": lambda _: diagrams.error_table(),
        "input-table": lambda _: diagrams.input_table(),
        "agenda-table": lambda _: diagrams.agenda_table(policy),
        "transition-table": lambda _: diagrams.transition_table(table, guards, policy),
        "replay-input": lambda _: _fenced("json", "\n".join(_example_lines(root))),
        "replay-output": lambda _: _fenced(
            "json", "\n".join(json.dumps(report) for report in _replay_output(root))
        ),
        "replay-report": lambda argument: _report(root, argument or "connection_started"),
        "cli-help": _help,
    }


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace each ``<!-- generated: NAME [ARG] -->`` with what NAME generates."""
    generators = _generators(Path(config.config_file_path).parent)

    def generate(match: re.Match[str]) -> str:
        name, argument = match.group(1), match.group(2)
        if name not in generators:
            log.warning("%s: unknown generated content %r", page.file.src_uri, name)
            return match.group(0)
        try:
            return generators[name](argument)
        except Exception as error:  # a generator bug must fail the build, not crash it
            log.warning("%s: generating %r failed: %s", page.file.src_uri, name, error)
            return match.group(0)

    return _MARKER.sub(generate, markdown)


def link_rules(html: str, glossary: str) -> str:
    """Link each rule code (R1 to R15) in ``html``'s text to ``glossary#rN``."""
    out, inside = [], 0
    for part in _TAG.split(html):
        if part.startswith("<"):
            match = _TAG_NAME.match(part)
            if match and match.group(1).lower() in _KEEP and not part.endswith("/>"):
                inside += -1 if part.startswith("</") else 1
                inside = max(inside, 0)
            out.append(part)
        elif inside:
            out.append(part)
        else:
            out.append(
                _RULE.sub(
                    lambda m: f'<a class="rule" href="{glossary}#r{m.group(1)}">{m.group(0)}</a>',
                    part,
                )
            )
    return "".join(out)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Drop hover titles that name a private module (set when cross-references are
    resolved, after the page's content is made)."""
    return _PRIVATE_TITLE.sub("", output)


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Link rule codes to the glossary."""
    if page.url == GLOSSARY:
        return html
    return link_rules(html, get_relative_url(GLOSSARY, page.url))
