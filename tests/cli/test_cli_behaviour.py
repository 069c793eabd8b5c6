"""The command line as a person meets it: forms of output, help, version, clear errors."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import EXAMPLE, ROOT, lifecycle

from adapters.cli import _parser
from adapters.cli._output import INSTALL_HINT, Output

START = (
    '{"at": "2026-01-01T00:00:00Z", "type": "connection_started", "region": "uk",'
    ' "scopes": ["info", "offline_access"]}\n'
)


def run(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m adapters.cli ARGV`` in a real process, its output piped."""
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_version_is_the_installed_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        lifecycle(capsys, "--version")
    assert done.value.code == 0
    assert capsys.readouterr().out == (
        f"lifecycle {importlib.metadata.version('truelayer-lifecycle')}\n"
    )


def _actions(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += _actions(child, f"{path} {name}")
        else:
            found.append((path, action))
    return found


def test_every_flag_has_help_in_plain_words() -> None:
    for path, action in _actions(_parser(), "lifecycle"):
        assert action.help, f"{path} {action.option_strings or action.dest} has no help"
        assert "``" not in action.help and ":meth:" not in action.help, (path, action.help)


def test_no_description_holds_markup_or_notes_about_imports() -> None:
    def walk(parser: argparse.ArgumentParser) -> None:
        text = parser.description or ""
        assert "``" not in text and "Importing" not in text, parser.prog
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    walk(child)

    walk(_parser())


def test_piped_replay_prints_json_lines_without_being_asked() -> None:
    done = run("replay", str(EXAMPLE))

    assert (done.returncode, done.stderr) == (0, "")
    assert all(json.loads(line)["type"] for line in done.stdout.splitlines())


def test_replay_on_a_terminal_prints_a_table() -> None:
    # A real pseudo-terminal: what a person running the command sees.
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120"}
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "replay", str(EXAMPLE)],
        stdout=follower,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=60) == 0
    screen = b"".join(chunks).decode()
    assert "next deadline" in screen
    assert "refused: code_used" in screen
    assert '"accepted"' not in screen


def test_replay_dash_reads_standard_input() -> None:
    done = run("replay", "-", "--format", "json", stdin=EXAMPLE.read_text())

    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(EXAMPLE.read_text().splitlines())


def test_replay_of_dev_zero_ends_with_a_one_line_error_and_exit_2() -> None:
    done = run("replay", "/dev/zero")

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "lifecycle replay: /dev/zero: line 1: longer than 1,048,576 characters\n"
    )


@pytest.mark.parametrize("scopes", ['"info"', '{"info": 1}', '["info", 7]', "null"])
def test_scopes_that_are_not_a_list_of_strings_are_refused_as_such(scopes: str) -> None:
    line = START.replace('["info", "offline_access"]', scopes)

    done = run("replay", "-", stdin=line)

    assert done.returncode == 2
    assert done.stderr == (
        "lifecycle replay: standard input: line 1: "
        "connection_started: scopes must be a list of strings @ $.scopes\n"
    )


def test_an_enormous_value_is_not_echoed_whole() -> None:
    line = START.replace('"uk"', json.dumps("x" * 1_000_000))

    done = run("replay", "-", stdin=line)

    assert done.returncode == 2
    assert len(done.stderr) < 500
    assert done.stderr.count("\n") == 1
    assert "x" * 100 not in done.stderr


def test_a_reader_that_goes_away_ends_the_replay_quietly(tmp_path: Path) -> None:
    long = tmp_path / "long.jsonl"
    tick = '{"at": "2026-01-01T00:00:01Z", "type": "tick"}\n'
    long.write_text(START + tick * 20_000)
    command = f"{sys.executable} -m adapters.cli replay {long} | head -1"

    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=ROOT
    )

    assert done.stderr == ""
    assert json.loads(done.stdout)["type"] == "connection_started"


def test_without_rich_a_table_falls_back_to_json_and_says_so_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # import rich now fails
    monkeypatch.delitem(sys.modules, "rich.console", raising=False)

    status, out, err = lifecycle(capsys, "replay", "--format", "table", str(EXAMPLE))

    assert status == 0
    assert all(json.loads(line) for line in out.splitlines())
    assert err == f"lifecycle: {INSTALL_HINT}; printing JSON Lines\n"


def test_an_unknown_format_is_refused_by_the_output_layer() -> None:
    with pytest.raises(ValueError, match="format must be one of auto, table, json"):
        Output("yaml")


def test_show_of_an_unknown_connection_says_so_with_exit_1(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = lifecycle(capsys, "show", "nobody", "--store", stored)

    assert (status, out) == (1, "")
    assert err == "lifecycle show: no connection 'nobody'\n"


def test_show_without_a_store_says_how_to_name_one(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = lifecycle(capsys, "history", "conn-uk")

    assert status == 2
    assert err == "lifecycle history: no store given: pass --store URL or set LIFECYCLE_STORE\n"


def test_show_of_a_missing_sqlite_file_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "typo.db"

    status, _, err = lifecycle(capsys, "show", "conn-uk", "--store", str(missing))

    assert status == 2
    assert err == f"lifecycle show: {missing}: no such file (nothing was created)\n"
    assert list(tmp_path.iterdir()) == []


def test_show_with_a_time_without_offset_is_bad_usage(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = lifecycle(capsys, "show", "conn-uk", "--store", stored, "--at", "2026-07-01")

    assert status == 2
    assert "--at needs a time with its offset" in err


def test_json_is_the_same_as_format_json_for_every_command_that_prints_data() -> None:
    example = str(ROOT / "examples" / "uk-connection.jsonl")
    short, long = run("replay", "--json", example), run("replay", "--format", "json", example)
    assert short.returncode == long.returncode == 0
    assert short.stdout == long.stdout and short.stdout.startswith("{")
