"""No secret in a repr; the core imports nothing that does I/O."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from lifecycle_support import T0, S, active, must, secret

import lifecycle as core

SECRETS = ("state-1", "code-1", "at-1", "rt-1", "verifier-x")
CORE = Path(core.__file__).parent


def test_a_secret_shows_only_its_fingerprint() -> None:
    token = secret("rt-1")
    assert "rt-1" not in repr(token) and "rt-1" not in str(token) and "rt-1" not in f"{token}"
    assert token.fingerprint in repr(token)
    assert token.reveal() == "rt-1"


def test_no_record_or_input_repr_shows_a_secret() -> None:
    record = active()
    inputs = [
        core.LinkIssued(T0, state=secret("state-1"), code_verifier=secret("verifier-x")),
        core.UserAuthorised(T0, code=secret("code-1"), state=secret("state-1")),
        core.CodeExchanged(
            T0, expires_in=1, access_token=secret("at-1"), refresh_token=secret("rt-1")
        ),
    ]
    mid = must(core.start(core.ConnectionStarted(T0, region="uk", scopes=("info",))), inputs[0])
    for thing in (record, mid, *inputs):
        for value in SECRETS:
            assert value not in repr(thing)


def test_a_refusal_detail_never_shows_a_secret() -> None:
    record = must(
        core.start(core.ConnectionStarted(T0, region="uk", scopes=("info",))),
        core.LinkIssued(T0, state=secret("state-1")),
    )
    wrong = core.apply(
        record, core.UserAuthorised(T0 + S, code=secret("code-1"), state=secret("e"))
    )
    assert not wrong.accepted
    assert all(value not in repr(wrong) for value in SECRETS)


# The stdlib and third-party modules the core may import (DESIGN.md).
ALLOWED = {
    "__future__", "collections", "datetime", "enum", "hashlib", "hmac", "types", "typing",
    "attrs", "cattrs", "transitions",
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_only_pure_modules(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in ALLOWED, f"{path.name} imports {name}"


def test_the_core_reads_no_clock() -> None:
    for path in CORE.glob("*.py"):
        text = path.read_text()
        for call in ("datetime.now", "utcnow", "time.time", "date.today", "monotonic"):
            assert call not in text, f"{path.name} reads the clock ({call})"


def test_importing_the_core_imports_no_io_module() -> None:
    code = (
        "import sys, lifecycle; "
        "bad = {'socket', 'sqlite3', 'httpx', 'psycopg', 'asyncio', 'random', 'secrets'}"
        " & set(sys.modules); print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_secret_pretty_printed_by_hypothesis_shows_only_its_fingerprint() -> None:
    from hypothesis.vendor.pretty import pretty

    shown = pretty(core.Secret("do-not-show-me"))
    assert "do-not-show-me" not in shown and "sha256:" in shown
