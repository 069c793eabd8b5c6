"""Outside JSON: every way ``json.loads`` fails on hostile text is one ``NotJSON``."""

from __future__ import annotations

import pytest

from adapters._json import NotJSON, loads


def test_json_is_read_as_json() -> None:
    assert loads('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert loads(b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": ', "Expecting value at char 6"),
        ("", "Expecting value at char 0"),
        ('{"n": ' + "9" * 5_000 + "}", "a number too long to read"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": 1} trailing', "Extra data at char 9"),
    ],
    ids=["cut short", "empty", "5,000 digits", "100,000 deep", "trailing text"],
)
def test_text_that_cannot_be_read_is_not_json_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(NotJSON) as caught:
        loads(text)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)


def test_the_reason_never_repeats_the_text() -> None:
    secret = "rt-" + "s" * 40
    with pytest.raises(NotJSON) as caught:
        loads('{"refresh_token": "' + secret)
    assert secret not in str(caught.value)


def test_reading_recovers_after_a_deep_document() -> None:
    with pytest.raises(NotJSON):
        loads("[" * 100_000)
    assert loads("[[[1]]]") == [[[1]]]
