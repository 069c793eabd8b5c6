"""Headless Chromium for the browser tests: Debian's, never a downloaded one.

Shared by ``tests/adapters`` and ``tests/docs`` (``tests/`` is on the import path).
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The marks of a test that needs Chromium: ``pytestmark = NEEDS_CHROMIUM``.
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
    ),
]
