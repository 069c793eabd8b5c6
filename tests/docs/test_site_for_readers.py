"""The site as a reader navigates it: a glossary of the rules, the API reference split
per package, no private module names, no banner from the theme."""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

from docs_site import NEEDS_MERMAID, ROOT

RULES = [f"R{number}" for number in range(1, 16)]
API = ROOT / "docs" / "reference" / "api"


def test_the_glossary_defines_every_rule_with_an_anchor(site: Path) -> None:
    page = (site / "reference" / "glossary" / "index.html").read_text()
    for rule in RULES:
        assert re.search(rf'<h2 id="{rule.lower()}"[^>]*>{rule} ', page), rule


def test_rule_codes_in_pages_and_docstrings_link_to_the_glossary(site: Path) -> None:
    clocks = (site / "concepts" / "clocks" / "index.html").read_text()
    assert '<a class="rule" href="../../reference/glossary/#r6">R6</a>' in clocks
    core = (site / "reference" / "api" / "core" / "index.html").read_text()
    links = set(re.findall(r'<a class="rule" href="\.\./\.\./glossary/#(r\d+)">', core))
    assert {"r3", "r5", "r6"} <= links
    # Not inside code or the diagrams' sources.
    for page in site.rglob("*.html"):
        for block in re.findall(r"<(?:pre|code)[^>]*>(.*?)</(?:pre|code)>", page.read_text(), re.S):
            assert 'class="rule"' not in block, page


def test_the_api_reference_is_one_page_per_package_service_client_stores_core_first(
    site: Path,
) -> None:
    index = (site / "reference" / "api" / "index.html").read_text()
    links = re.findall(r'href="(service|client|stores|core|sandbox|diagrams)/"', index)
    assert list(dict.fromkeys(links))[:4] == ["service", "client", "stores", "core"], links
    core = (site / "reference" / "api" / "core" / "index.html").read_text()
    ids = re.findall(r'id="(lifecycle\.\w+)"', core)
    assert ids[:4] == [
        "lifecycle.start",
        "lifecycle.apply",
        "lifecycle.status_at",
        "lifecycle.agenda",
    ]


def test_no_api_page_shows_a_private_module_name_for_an_object(site: Path) -> None:
    private = re.compile(r"\b(?:lifecycle|adapters(?:\.\w+)?)\._[a-z]\w*")
    for page in (site / "reference" / "api").rglob("*.html"):
        text = page.read_text()
        for attribute in re.findall(r'(?:title|id)="([^"]*)"', text):
            assert not private.search(attribute), (page, attribute)
        for heading in re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", text, re.S):
            assert not private.search(html.unescape(heading)), (page, heading)
        assert "Bases:" not in text, page


def test_every_api_page_is_a_package_that_exists() -> None:
    # One page per package, and none for a package that does not exist.
    assert sorted(path.name for path in API.iterdir()) == [
        "client.md", "core.md", "diagrams.md", "index.md", "sandbox.md", "service.md",
        "stores.md",
    ]  # fmt: skip
    for page in API.iterdir():
        for name in re.findall(r"^::: ([\w.]+)", page.read_text(), re.M):
            try:
                importlib.import_module(name)
            except ModuleNotFoundError:  # an object of a package: lifecycle.start
                package, _, attribute = name.rpartition(".")
                assert hasattr(importlib.import_module(package), attribute), name


@NEEDS_MERMAID
def test_the_build_prints_no_end_of_life_banner(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "NO_MKDOCS_2_WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "end of life" not in output.lower()
    assert "Zensical" not in output
