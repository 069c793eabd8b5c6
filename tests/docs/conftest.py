"""The documentation site, built once per test session with ``mkdocs build --strict``."""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_site import MERMAID, ROOT, build_site


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site's directory (the build must pass in strict mode)."""
    if not MERMAID.is_file():
        pytest.skip(f"{MERMAID.relative_to(ROOT)} is missing: run `npm ci` (CI does)")
    out = tmp_path_factory.mktemp("site")
    done = build_site(ROOT / "mkdocs.yml", out)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out
