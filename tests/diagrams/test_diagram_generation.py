"""The diagrams are drawn from the table, the guards' labels and the policy, and only them."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest

import lifecycle
from adapters import diagrams
from lifecycle import (
    DEFAULT_POLICY,
    GUARDS,
    TABLE,
    Guard,
    InactiveReason,
    Kind,
    RegionPolicy,
    Rule,
    Status,
)

ROOT = Path(__file__).resolve().parents[2]
needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)

MERMAID_EDGE = re.compile(r"^    (\S+) --> (\S+) : (.*)$", re.M)
MERMAID_INSIDE = re.compile(r"^    (\w+) : (.*)$", re.M)
DOT_EDGE = re.compile(r'^    "([^"]+)" -> "([^"]+)" \[label="(.*?)"(.*)\];$', re.M)
DOT_STATE = re.compile(r'^    "(\w+)" \[label=<(.*)>\];$', re.M)


def _drawn_rows(table: tuple[Rule, ...]) -> list[Rule]:
    return [row for row in table if not (row.input == "tick" and row.source is row.dest)]


def _trigger(row: Rule) -> str:
    return {Kind.EVENT: "", Kind.COMMAND: "«cmd» ", Kind.TIME: "«time» "}[row.kind] + row.input


def _source(row: Rule) -> str:
    return "[*]" if row.source is None else row.source.value


def _mermaid_unescape(text: str) -> str:
    return (
        text.replace("#lt;", "<")
        .replace("#gt;", ">")
        .replace("#59;", ";")
        .replace("#quot;", '"')
        .replace("#35;", "#")
    )


def test_every_row_but_idle_ticks_is_one_mermaid_edge_or_internal_transition() -> None:
    text = diagrams.state_mermaid(TABLE, GUARDS)
    edges = [(s, d, label.split("<br/>")) for s, d, label in MERMAID_EDGE.findall(text)]
    inside = [(state, line) for state, line in MERMAID_INSIDE.findall(text)]
    drawn = _drawn_rows(TABLE)
    assert len(edges) + len(inside) == len(drawn)
    for row in drawn:
        if row.source is row.dest:
            lines = [_mermaid_unescape(line) for state, line in inside if state == _source(row)]
            assert any(line.split(" [")[0].split(" / ")[0] == _trigger(row) for line in lines), row
        else:
            assert any(
                (s, d, lines[0]) == (_source(row), row.dest.value, _trigger(row))
                for s, d, lines in edges
            ), row


def test_every_row_but_idle_ticks_is_on_one_dot_arrow_or_an_internal_transition() -> None:
    text = diagrams.state_dot(TABLE, GUARDS)
    edges = DOT_EDGE.findall(text)
    boxes = dict(DOT_STATE.findall(text))
    assert set(boxes) == {status.value for status in Status}
    indent = "&#160;"  # a long internal transition continues on indented lines
    inside = {
        state: [
            line
            for line in re.findall(r'BALIGN="LEFT">(.*?)</TD>', label)[0].split("<BR/>")
            if not line.startswith(indent)
        ]
        for state, label in boxes.items()
        if "BALIGN" in label
    }
    drawn = _drawn_rows(TABLE)
    arrows = [row for row in drawn if row.source is not row.dest]
    # Rows with the same source, destination and kind share one arrow.
    assert len(edges) == len({(_source(row), row.dest, row.kind) for row in arrows})
    assert sum(len(lines) for lines in inside.values()) == len(drawn) - len(arrows)
    for row in drawn:
        if row.source is row.dest:
            assert any(
                line.replace("&lt;", "<").startswith(_trigger(row) + (" " if row.guards else ""))
                or line == _trigger(row)
                for line in inside[_source(row)]
            ), row
        else:
            assert any(
                (s, d) == (_source(row), row.dest.value) and _trigger(row) in label.split("\\n")
                for s, d, label, _ in edges
            ), row


def test_guard_labels_appear_on_their_rows_in_check_order() -> None:
    for row in TABLE:
        if row.guards:
            expected = (
                "["
                + ", ".join(GUARDS[name].label_for(lifecycle.DEFAULT_POLICY) for name in row.guards)
                + "]"
            )
            assert expected in diagrams.label_lines(row, GUARDS)
    relabelled = dict(GUARDS, code_unused=Guard("the code is fresh", GUARDS["code_unused"].check))
    text = diagrams.state_mermaid(TABLE, relabelled)
    assert "exchange_code [the code is fresh, no request in flight] / exchange_code" in text
    assert "code unused" not in text


def test_edges_into_inactive_name_the_reason_they_set() -> None:
    text = diagrams.state_mermaid(TABLE, GUARDS)
    assert "active --> inactive : refresh_rejected<br/>/ inactive: refresh_rejected" in text
    for row in TABLE:
        if row.reason is not None:
            assert f"/ inactive: {row.reason.value}" in diagrams.label_lines(row, GUARDS)


def test_commands_time_rows_and_events_are_told_apart() -> None:
    dot = diagrams.state_dot(TABLE, GUARDS)
    assert '"authorized" -> "authorization_required" [label="«time» code_expired\\n' in dot
    for _, _, label, style in DOT_EDGE.findall(dot):
        if label.startswith("«time»"):
            assert "style=dashed" in style
        elif label.startswith("«cmd»"):
            assert "arrowhead=empty" in style
        else:
            assert style == ""
    moving_command = Rule("exchange_code", Kind.COMMAND, Status.AUTHORIZED, Status.ACTIVE)
    assert "arrowhead=empty" in diagrams.state_dot((moving_command,), GUARDS)
    marked = re.findall(r"«cmd» (\w+)", diagrams.state_mermaid(TABLE, GUARDS))
    assert sorted(set(marked)) == sorted(lifecycle.COMMANDS)


def test_the_connection_starts_from_the_initial_pseudo_state() -> None:
    assert "    [*] --> authorization_required : connection_started\n" in diagrams.state_mermaid(
        TABLE, GUARDS
    )
    assert '"[*]" -> "authorization_required" [label="connection_started"];' in diagrams.state_dot(
        TABLE, GUARDS
    )


def test_idle_ticks_are_left_out_with_a_note_but_a_moving_tick_is_drawn() -> None:
    for text in (diagrams.state_mermaid(TABLE, GUARDS), diagrams.state_dot(TABLE, GUARDS)):
        assert "tick" not in text.replace(diagrams.OMITTED_NOTE, "")
        assert diagrams.OMITTED_NOTE in text
    moving = (*TABLE, Rule("tick", Kind.EVENT, Status.INACTIVE, Status.AUTHORIZATION_REQUIRED))
    assert "inactive --> authorization_required : tick\n" in diagrams.state_mermaid(moving, GUARDS)


def test_a_removed_row_disappears_from_both_renderings() -> None:
    without = tuple(row for row in TABLE if row.input != "access_denied")
    for render in (diagrams.state_mermaid, diagrams.state_dot):
        assert "access_denied" in render(TABLE, GUARDS)
        assert "access_denied" not in render(without, GUARDS)


def test_mermaid_labels_escape_what_mermaid_would_read_as_syntax() -> None:
    guards = dict(GUARDS, code_unused=Guard('a < b; #1 > "2"', GUARDS["code_unused"].check))
    text = diagrams.state_mermaid(TABLE, guards)
    assert "[a #lt; b#59; #35;1 #gt; #quot;2#quot;, no request in flight]" in text
    dot = diagrams.state_dot(TABLE, guards)
    assert '[a &lt; b; #1 &gt; "2", no request in flight]' in dot


def test_generation_is_deterministic_and_holds_no_time_or_path() -> None:
    first = diagrams.text_diagrams()
    assert first == diagrams.text_diagrams()
    assert list(first) == sorted(first)
    today = date.today().isoformat()
    for name, text in first.items():
        assert str(ROOT) not in text, name
        assert today not in text, name
        assert text.endswith("\n") and "\r" not in text


@needs_graphviz
def test_the_svg_is_rendered_from_the_dot_deterministically_without_a_version() -> None:
    first, second = diagrams.generate(), diagrams.generate()
    assert first == second
    svg = first[diagrams.STATE_SVG]
    assert svg.startswith("<?xml") and "Generated by graphviz" not in svg
    for status in Status:
        assert f"<title>{status.value}</title>" in svg
    assert str(ROOT) not in svg


def test_normalising_the_svg_removes_only_the_version_comment() -> None:
    raw = (
        '<?xml version="1.0"?>\n<!-- Generated by graphviz version 2.43.0 (0)\n -->\n'
        "<!-- Title: lifecycle Pages: 1 -->\n<svg/>\n"
    )
    assert diagrams.normalise_svg(raw) == (
        '<?xml version="1.0"?>\n<!-- Title: lifecycle Pages: 1 -->\n<svg/>\n'
    )


def test_without_graphviz_rendering_says_what_to_install() -> None:
    with pytest.raises(diagrams.GraphvizError, match="install Graphviz"):
        diagrams.render_svg("digraph {}", dot="no-such-graphviz-dot")


@needs_graphviz
def test_graphviz_rejecting_the_source_is_reported() -> None:
    with pytest.raises(diagrams.GraphvizError, match="dot -Tsvg failed"):
        diagrams.render_svg("digraph {")


def test_durations_are_written_in_their_largest_whole_unit() -> None:
    cases = {
        timedelta(days=90): ("90 d", "90d"),
        timedelta(hours=24): ("1 d", "1d"),
        timedelta(minutes=60): ("1 h", "1h"),
        timedelta(minutes=5): ("5 min", "5m"),
        timedelta(minutes=90): ("90 min", "90m"),
        timedelta(seconds=61): ("61 s", "61s"),
    }
    for duration, (text, mermaid) in cases.items():
        assert (diagrams.human(duration), diagrams.mermaid_duration(duration)) == (text, mermaid)


def test_the_clocks_chart_follows_the_policy() -> None:
    default = diagrams.clocks_gantt("uk", DEFAULT_POLICY)
    assert "code valid 5 min after the callback :code, 2000-01-01 00:00, 5m\n" in default
    assert "consent with offline_access, 90 d :consent, 2000-01-01 00:00, 90d\n" in default
    assert "refresh token first use within 30 d :refresh, 2000-01-01 00:00, 30d\n" in default
    assert "extend window, 90 d after expiry :extend, 2000-03-31 00:00, 90d\n" in default
    changed = attrs.evolve(
        DEFAULT_POLICY,
        code_lifetime=timedelta(minutes=7),
        refresh_first_use_window=timedelta(days=20),
        extend_window=timedelta(days=30),
    )
    chart = diagrams.clocks_gantt("uk", changed)
    assert chart != default
    assert "code valid 7 min after the callback :code, 2000-01-01 00:00, 7m\n" in chart
    assert "refresh token first use within 20 d :refresh, 2000-01-01 00:00, 20d\n" in chart
    assert "extend window, 30 d after expiry :extend, 2000-03-31 00:00, 30d\n" in chart


def test_reminders_sit_before_expiry_and_none_before_day_zero() -> None:
    chart = diagrams.clocks_gantt("uk", DEFAULT_POLICY)
    # 90 d lifetime from 2000-01-01: expiry 2000-03-31; reminders 14, 7, 1 d before.
    for name, day in (
        ("remind_14d", "2000-03-17"),
        ("remind_7d", "2000-03-24"),
        ("remind_1d", "2000-03-30"),
    ):
        assert f":milestone, {name}, {day} 00:00, 0d\n" in chart
    short = RegionPolicy(timedelta(days=10), timedelta(hours=1), extendable=False)
    policy = attrs.evolve(DEFAULT_POLICY, regions={"xx": short})
    chart = diagrams.clocks_gantt("xx", policy)
    assert "remind_14d" not in chart
    assert "remind_7d" in chart


def test_only_extendable_regions_get_an_extend_window() -> None:
    for name, region in DEFAULT_POLICY.regions.items():
        chart = diagrams.clocks_gantt(name, DEFAULT_POLICY)
        assert (":extend," in chart) is region.extendable
        assert ("not extendable" in chart) is not region.extendable


def test_there_is_one_clocks_chart_per_region_in_the_policy() -> None:
    regions = dict(DEFAULT_POLICY.regions, ca=DEFAULT_POLICY.regions["eu"])
    files = diagrams.text_diagrams(policy=attrs.evolve(DEFAULT_POLICY, regions=regions))
    assert sorted(name for name in files if name.startswith("clocks-")) == [
        "clocks-au.mmd",
        "clocks-ca.mmd",
        "clocks-eu.mmd",
        "clocks-uk.mmd",
    ]
    assert "todayMarker off" in files["clocks-ca.mmd"]


def test_the_generator_reads_the_core_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    before = diagrams.text_diagrams()
    monkeypatch.setattr(lifecycle, "TABLE", tuple(r for r in TABLE if r.input != "revoked"))
    after = diagrams.text_diagrams()
    assert after[diagrams.STATE_MERMAID] != before[diagrams.STATE_MERMAID]
    assert after["clocks-uk.mmd"] == before["clocks-uk.mmd"]
    assert InactiveReason.REVOKED.value in before[diagrams.STATE_MERMAID]
