"""``lifecycle diagram``: writes the diagrams, and ``--check`` names the stale ones."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

import lifecycle
from adapters.cli import main

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "diagrams"
ALL_FILES = [
    "clocks-au.mmd",
    "clocks-eu.mmd",
    "clocks-uk.mmd",
    "lifecycle.dot",
    "lifecycle.mmd",
    "lifecycle.svg",
]

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the committed diagrams, to check and to spoil."""
    target = tmp_path / "diagrams"
    shutil.copytree(COMMITTED, target)
    return target


def _check(out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["diagram", "--check", "--out", str(out)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_committed_diagrams_match_the_code(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _check(COMMITTED, capsys)
    assert (status, err) == (0, ""), f"stale diagrams: run `lifecycle diagram` and commit\n{err}"
    assert "all diagrams match the code" in out
    assert sorted(path.name for path in COMMITTED.iterdir()) == ALL_FILES


def test_check_names_a_file_edited_by_hand(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(copy, capsys)[0] == 0
    mmd = copy / "lifecycle.mmd"
    mmd.write_text(mmd.read_text().replace("active --> inactive", "active --> authorized", 1))
    status, _, err = _check(copy, capsys)
    assert status == 1
    assert f"stale: {mmd} (differs)" in err
    assert "lifecycle.dot" not in err


def test_a_table_with_a_row_removed_makes_check_fail_naming_the_state_diagrams(
    copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    row = next(row for row in lifecycle.TABLE if row.input == "refresh_rejected")
    monkeypatch.setattr(lifecycle, "TABLE", tuple(r for r in lifecycle.TABLE if r is not row))
    status, _, err = _check(copy, capsys)
    assert status == 1
    stale = sorted(
        line.split("stale: ")[1].split(" ")[0] for line in err.splitlines() if "stale: " in line
    )
    assert stale == [
        str(copy / name) for name in ("lifecycle.dot", "lifecycle.mmd", "lifecycle.svg")
    ]
    assert "run `lifecycle diagram" in err


def test_a_changed_policy_makes_check_fail_naming_every_picture_that_shows_its_numbers(
    copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = attrs.evolve(lifecycle.DEFAULT_POLICY, code_lifetime=timedelta(minutes=10))
    monkeypatch.setattr(lifecycle, "DEFAULT_POLICY", changed)
    status, _, err = _check(copy, capsys)
    assert status == 1
    # The clocks charts, and the state diagram whose guard labels name the code's 5 min.
    for name in ("clocks-au.mmd", "clocks-eu.mmd", "clocks-uk.mmd", "lifecycle.mmd"):
        assert f"stale: {copy / name} (differs)" in err


def test_check_names_missing_files_and_leftovers(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (copy / "clocks-au.mmd").unlink()
    (copy / "clocks-zz.mmd").write_text("gantt\n")
    (copy / "README.md").write_text("not a diagram\n")
    status, _, err = _check(copy, capsys)
    assert status == 1
    assert f"stale: {copy / 'clocks-au.mmd'} (missing)" in err
    assert f"stale: {copy / 'clocks-zz.mmd'} (no longer generated)" in err
    assert "README.md" not in err


def test_writing_twice_changes_no_byte_and_rewrites_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fresh"
    assert main(["diagram", "--out", str(out)]) == 0
    assert capsys.readouterr().out.count("wrote ") == len(ALL_FILES)
    first = {path.name: path.read_bytes() for path in out.iterdir()}
    stamps = {path.name: path.stat().st_mtime_ns for path in out.iterdir()}
    assert first == {path.name: path.read_bytes() for path in COMMITTED.iterdir()}
    assert main(["diagram", "--out", str(out)]) == 0
    assert "already up to date" in capsys.readouterr().out
    assert {path.name: path.read_bytes() for path in out.iterdir()} == first
    assert {path.name: path.stat().st_mtime_ns for path in out.iterdir()} == stamps


def test_writing_repairs_the_directory_and_leaves_other_files_alone(
    copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (copy / "lifecycle.dot").write_text("digraph {}\n")
    (copy / "clocks-zz.mmd").write_text("gantt\n")
    (copy / "notes.txt").write_text("mine\n")
    assert main(["diagram", "--out", str(copy)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {copy / 'lifecycle.dot'}" in out
    assert f"removed {copy / 'clocks-zz.mmd'}" in out
    assert (copy / "notes.txt").read_text() == "mine\n"
    assert _check(copy, capsys)[0] == 0


def test_without_graphviz_the_exit_status_is_2(
    copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, _, err = _check(copy, capsys)
    assert status == 2
    assert "install Graphviz" in err


def test_an_unwritable_directory_gives_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the directory should be\n")
    assert main(["diagram", "--out", str(blocker / "diagrams")]) == 2
    assert "lifecycle diagram:" in capsys.readouterr().err


def test_the_command_exits_0_then_1_once_a_diagram_is_stale(copy: Path) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "adapters.cli", "diagram", "--check", "--out", "diagrams"],
            cwd=copy.parent,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    assert run().returncode == 0
    (copy / "clocks-uk.mmd").write_text("gantt\n")
    done = run()
    assert done.returncode == 1
    assert "stale: diagrams/clocks-uk.mmd (differs)" in done.stderr
