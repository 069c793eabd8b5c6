"""Building the documentation site for the tests: where things are, and the build itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MERMAID = ROOT / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"

# The mark of a test that builds the site itself: it needs Mermaid from npm.
NEEDS_MERMAID = pytest.mark.skipif(
    not MERMAID.is_file(),
    reason="node_modules/mermaid is missing: run `npm ci --ignore-scripts` (CI does)",
)


def build_site(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs build --strict`` for ``config`` into ``site``; the output is captured."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent,  # pymdownx.snippets resolves diagrams/ from here
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # quiet a banner, nothing else
    )
