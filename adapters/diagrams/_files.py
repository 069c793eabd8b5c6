"""Writing the diagrams into a directory, and finding the ones that are stale there.

Files are compared and written as UTF-8 bytes with ``\\n`` line ends on every platform,
so a re-run changes no byte. A file in the directory that looks generated (``lifecycle.*``,
``clocks-*.mmd``) but is no longer generated, e.g. the chart of a region that was
removed from the policy, counts as stale too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from attrs import frozen

__all__ = ["GENERATED_GLOBS", "Stale", "find_stale", "write_diagrams"]

GENERATED_GLOBS = ("lifecycle.mmd", "lifecycle.dot", "lifecycle.svg", "clocks-*.mmd")
"""The names ``lifecycle diagram`` writes; other files in the directory are left alone."""


@frozen
class Stale:
    """A diagram file that does not match what the code generates.

    Attributes:
        name: the file name inside the directory.
        why: ``differs``, ``missing`` or ``no longer generated``.
    """

    name: str
    why: str


def _leftovers(directory: Path, files: Mapping[str, str]) -> list[str]:
    found = {path.name for glob in GENERATED_GLOBS for path in directory.glob(glob)}
    return sorted(found - set(files))


def find_stale(directory: Path, files: Mapping[str, str]) -> list[Stale]:
    """The files in ``directory`` that differ from ``files`` (name -> content), by name."""
    stale = []
    for name, content in sorted(files.items()):
        path = directory / name
        if not path.is_file():
            stale.append(Stale(name, "missing"))
        elif path.read_bytes() != content.encode("utf-8"):
            stale.append(Stale(name, "differs"))
    stale += [Stale(name, "no longer generated") for name in _leftovers(directory, files)]
    return sorted(stale, key=lambda item: item.name)


def write_diagrams(directory: Path, files: Mapping[str, str]) -> list[Stale]:
    """Make ``directory`` hold exactly ``files``; returns what changed (as it was before).

    Unchanged files are not rewritten, so their timestamps stay. Files that look
    generated but are not generated any more are deleted.

    Raises:
        OSError: the directory cannot be created or written.
    """
    changed = (
        find_stale(directory, files)
        if directory.is_dir()
        else [Stale(name, "missing") for name in sorted(files)]
    )
    directory.mkdir(parents=True, exist_ok=True)
    for item in changed:
        path = directory / item.name
        if item.name in files:
            path.write_bytes(files[item.name].encode("utf-8"))
        else:
            path.unlink()
    return changed
