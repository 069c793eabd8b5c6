"""The README's two quick-start commands, run as a newcomer runs them: in a fresh clone.

The repository is cloned into a temporary folder (what is committed, nothing else: no
``.venv``, no ``node_modules``), and each command marked ``<!-- quick-start: NAME -->``
in the README is run there with ``bash``, verbatim. The test command runs the whole suite
of the clone, except this file (which would clone again); with the quick Hypothesis
profile, so that this costs a few minutes, not the thorough profile's.

It takes minutes, so it runs only with ``LIFECYCLE_TEST_FRESH_CLONE=1``, which CI sets
(``.ci/run``); elsewhere it is skipped, saying how to run it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_BLOCK = re.compile(r"<!-- quick-start: (\w+) -->\n```sh\n(.*?)\n```", re.S)

slow = pytest.mark.skipif(
    os.environ.get("LIFECYCLE_TEST_FRESH_CLONE") != "1",
    reason="slow (minutes): set LIFECYCLE_TEST_FRESH_CLONE=1 to run the README in a fresh "
    "clone (CI does)",
)


def quick_start() -> dict[str, str]:
    """The README's quick-start commands by name."""
    return dict(_BLOCK.findall(README.read_text(encoding="utf-8")))


def test_the_readme_names_both_quick_start_commands() -> None:
    commands = quick_start()
    assert set(commands) == {"main", "tests"}
    assert commands["main"].endswith("lifecycle demo")  # the README's first command
    assert "npm ci" in commands["tests"]  # the docs tests need Mermaid from npm


@slow
def test_the_readme_commands_pass_in_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed to clone the repository")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    assert not (clone / ".venv").exists() and not (clone / "node_modules").exists()
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of this environment's Python may leak into the clone's.
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTEST_ADDOPTS", "HYPOTHESIS_PROFILE"}
    }
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if ".venv" not in part
    )
    # The clone runs the whole suite but for this file and the three multi-process runs
    # of minutes each, which the suite around this test runs on the same commit: in the
    # clone they would only double CI's time.
    heavy = (
        "tests/worker/test_worker_simulation.py",
        "tests/service/test_service_concurrency.py",
        "tests/service/test_service_crashes.py",
    )
    ignored = " ".join(f"--ignore={path}" for path in ("tests/readme", *heavy))
    env["PYTEST_ADDOPTS"] = f"{ignored} -p no:cacheprovider -q"
    env["LIFECYCLE_TEST_FRESH_CLONE"] = "0"
    commands = quick_start()

    main = subprocess.run(
        ["bash", "-c", commands["main"]],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert main.returncode == 0, main.stderr[-3000:]
    # The demo, piped: JSON Lines, one per step of the life, then a summary (after what
    # pip printed while installing).
    lines = [json.loads(line) for line in main.stdout.splitlines() if line.startswith("{")]
    assert len(lines) > 10
    assert lines[-1]["kind"] == "summary" and lines[-1]["final_status"] == "inactive"
    assert lines[-1]["seconds"] < 30
    assert lines[-2]["reason"] == "revoked"

    tests = subprocess.run(
        ["bash", "-c", commands["tests"]],
        cwd=clone, env=env, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    tail = tests.stdout[-3000:]
    assert tests.returncode == 0, f"{tail}\n{tests.stderr[-3000:]}"
    summary = tests.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), summary
    assert "failed" not in summary and "error" not in summary, summary
