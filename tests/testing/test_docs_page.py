"""The testing page's test modules (its ``python`` blocks) run and pass, in a pytest
session of their own; its ``pycon`` blocks run with the other pages' (tests/docs)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "testing.md"
DSN = os.environ.get("LIFECYCLE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def test_the_page_shows_a_test_module_for_the_stateful_test_and_one_for_the_fixtures() -> None:
    found = blocks()
    assert len(found) == 2
    assert "TestCase" in found[0] and "lifecycle_sqlite_store" in found[1]


def test_the_page_s_test_modules_pass(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(**{f"test_page_{n}": text for n, text in enumerate(blocks())})
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--lifecycle-postgres-dsn={DSN}"
    )
    result.assert_outcomes(passed=5)


def test_without_a_dsn_the_page_s_postgres_test_is_skipped_saying_why(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIFECYCLE_TEST_POSTGRES_DSN", raising=False)
    monkeypatch.delenv("LIFECYCLE_FORBID_SKIPS", raising=False)
    pytester.makepyfile(test_page=blocks()[1])
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", "-k", "postgres")
    result.assert_outcomes(skipped=1)
    page = PAGE.read_text()
    reason = "no PostgreSQL DSN given: pass --lifecycle-postgres-dsn=... or set"
    assert reason in page
    result.stdout.fnmatch_lines([f"*{reason}*"])
