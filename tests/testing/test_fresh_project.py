"""A fresh project that only installs the package with its ``[testing]`` extra gets the
fixtures and the toolkit: a virtual environment of its own, ``pip install``, ``pytest``.

Costs about ten seconds (pip takes the packages from its local cache or index); bounded
by timeouts so that a stuck install fails instead of hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROJECT_TEST = """
from datetime import timedelta

from hypothesis import given, settings
from hypothesis.stateful import run_state_machine_as_test

import lifecycle
from lifecycle.testing import lifecycle_machine, shortest_paths, store_system, timelines


def test_the_clock_steps(lifecycle_clock):
    before = lifecycle_clock.now()
    assert lifecycle_clock.advance(timedelta(seconds=1)) - before == timedelta(seconds=1)


def test_the_sandbox_answers(lifecycle_sandbox):
    params = lifecycle_sandbox.consent(lifecycle_sandbox.auth_link(state="s"))
    assert params["code"]


def test_the_sqlite_store_agrees_with_the_core(lifecycle_sqlite_store):
    machine = lifecycle_machine(store_system(lifecycle_sqlite_store))
    run_state_machine_as_test(
        machine, settings=settings(max_examples=3, stateful_step_count=10, deadline=None)
    )


@settings(max_examples=10, deadline=None)
@given(timelines())
def test_timelines_replay(timeline):
    timeline.replay()


def test_paths_cover_the_table():
    assert set(shortest_paths().through_row) == set(lifecycle.TABLE)


def test_postgres_needs_a_dsn(lifecycle_postgres_store):
    pass
"""


def test_a_fresh_project_gets_the_fixtures_from_pip_install_with_the_extra(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"{ROOT}[testing]"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_with_lifecycle.py").write_text(PROJECT_TEST)
    clean = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=clean,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "5 passed, 1 skipped" in run.stdout, run.stdout[-3000:]
    assert "no PostgreSQL DSN given" in run.stdout
    # The fresh environment is the one that ran: the package came from pip, not this tree.
    where = subprocess.run(
        [str(python), "-c", "import lifecycle; print(lifecycle.__file__)"],
        cwd=project,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert str(env_dir) in where.stdout and sys.prefix not in where.stdout
