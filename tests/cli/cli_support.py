"""Running ``lifecycle`` in the tests, and comparing with golden files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.cli import main

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
EXAMPLE = ROOT / "examples" / "uk-connection.jsonl"
GOLDEN = HERE / "golden"
KEY = bytes(range(32))  # a test key: the golden files must not depend on a random one


def lifecycle(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``lifecycle ARGV`` in this process; returns (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def golden(name: str, text: str) -> None:
    """Assert that ``text`` is the golden file ``name``.

    With ``LIFECYCLE_UPDATE_GOLDEN=1`` the file is written instead (then review the diff
    and commit it); the test still compares, so it passes only on what was written.
    """
    path = GOLDEN / name
    if os.environ.get("LIFECYCLE_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} is missing: run with LIFECYCLE_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"
