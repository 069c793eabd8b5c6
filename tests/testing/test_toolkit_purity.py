"""``lifecycle.testing`` is as pure as the core: it adds only Hypothesis and pytest."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import lifecycle.testing as toolkit

TOOLKIT = Path(toolkit.__file__).parent
# The core's modules (DESIGN.md), the standard library's pure ones, Hypothesis, pytest.
ALLOWED = {
    "__future__", "collections", "datetime", "enum", "functools", "inspect", "itertools", "json",
    "types", "typing", "attrs", "cattrs", "transitions", "hypothesis", "pytest",
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(TOOLKIT.glob("*.py")), ids=lambda p: p.name)
def test_the_toolkit_imports_only_pure_modules(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in ALLOWED, f"{path.name} imports {name}"


def test_the_toolkit_reads_no_clock() -> None:
    for path in TOOLKIT.glob("*.py"):
        text = path.read_text()
        for call in ("datetime.now", "utcnow", "time.time", "date.today", "monotonic"):
            assert call not in text, f"{path.name} reads the clock ({call})"


def test_importing_the_core_does_not_import_the_toolkit_or_hypothesis() -> None:
    code = (
        "import sys, lifecycle; "
        "print(sorted({'hypothesis', 'lifecycle.testing'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
