"""The built site: strict, offline, with the generated content in place."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from docs_site import MERMAID, NEEDS_MERMAID, ROOT, build_site

import lifecycle
from adapters import diagrams


def _text(page: Path) -> str:
    """A built page's text, roughly: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_the_site_ships_mermaid_and_loads_nothing_from_other_hosts(site: Path) -> None:
    shipped = site / "assets" / "javascripts" / "mermaid.min.js"
    assert shipped.read_bytes() == MERMAID.read_bytes()
    for page in site.rglob("*.html"):
        text = page.read_text()
        # Links to other sites are fine; loading scripts, styles or fonts from them is not.
        assert not re.search(r'<(script|img|iframe)[^>]+src="(https?:)?//', text), page
        assert not re.search(r'<link[^>]+href="(https?:)?//', text), page
        assert "fonts.googleapis" not in text, page
    diagrams_page = (site / "diagrams" / "index.html").read_text()
    assert '<script src="../assets/javascripts/mermaid.min.js"></script>' in diagrams_page


def test_the_diagrams_page_carries_the_committed_diagrams_unchanged(site: Path) -> None:
    page = (site / "diagrams" / "index.html").read_text()
    blocks = [
        html.unescape(block)
        for block in re.findall(r'<pre class="mermaid"><code>(.*?)</code></pre>', page, re.S)
    ]
    committed = [
        (ROOT / "diagrams" / name).read_text().rstrip("\n")
        for name in ("lifecycle.mmd", "clocks-uk.mmd", "clocks-eu.mmd", "clocks-au.mmd")
    ]
    assert [block.rstrip("\n") for block in blocks] == committed
    assert (site / "assets" / "diagrams" / "lifecycle.svg").read_bytes() == (
        ROOT / "diagrams" / "lifecycle.svg"
    ).read_bytes()
    assert 'src="../assets/diagrams/lifecycle.svg"' in page


def test_every_generated_marker_was_replaced(site: Path) -> None:
    for page in site.rglob("*.html"):
        assert "generated:" not in page.read_text(), page


def test_the_region_and_reason_tables_come_from_the_core(site: Path) -> None:
    regions = _text(site / "reference" / "regions" / "index.html")
    for name, region in lifecycle.DEFAULT_POLICY.regions.items():
        lifetimes = diagrams.human(region.lifetime_offline), diagrams.human(region.lifetime_online)
        row = name + "".join(lifetimes)
        assert row in regions.replace("\n", ""), name
    errors = _text(site / "reference" / "errors" / "index.html")
    for reason in lifecycle.Reason:
        assert reason.value in errors
    for name in ("LifecycleError", "UnknownRegionError", "NaiveDatetimeError"):
        assert name in errors


def test_the_replay_example_is_the_replay_of_the_example_file(site: Path) -> None:
    text = _text(site / "reference" / "replay-format" / "index.html")
    assert '"reason": "code_used"' in text
    assert '"type": "extension_granted", "accepted": true' in text


def test_the_cli_reference_shows_every_subcommands_help(site: Path) -> None:
    text = _text(site / "reference" / "cli" / "index.html")
    commands = ("demo", "status", "events", "replay", "show", "history", "diagram", "sandbox")
    for command in (*commands, "store", "worker"):
        assert f"usage: lifecycle {command}" in text
    assert "--check" in text


def test_the_api_reference_documents_the_core_from_its_docstrings(site: Path) -> None:
    page = site / "reference" / "api" / "core" / "index.html"
    for name in ("apply", "start", "status_at", "agenda", "Decision", "Policy"):
        assert f'id="lifecycle.{name}"' in page.read_text()
    assert "Decide one input against a record." in _text(page)
    diagrams_page = site / "reference" / "api" / "diagrams" / "index.html"
    assert 'id="adapters.diagrams.generate"' in diagrams_page.read_text()


@NEEDS_MERMAID
def test_a_page_outside_the_nav_does_not_fail_the_strict_build(tmp_path: Path) -> None:
    # Pages others are writing exist before they are added to the nav: strict must pass.
    copy = tmp_path / "repo"
    for name in ("docs", "diagrams", "examples"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    (copy / "node_modules").symlink_to(ROOT / "node_modules")
    (copy / "docs" / "how-to" / "not-yet-in-nav.md").write_text("# Soon\n\nWritten elsewhere.\n")
    done = build_site(copy / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert "not-yet-in-nav.md" in done.stderr  # reported, as information
    assert (tmp_path / "site" / "how-to" / "not-yet-in-nav" / "index.html").is_file()
