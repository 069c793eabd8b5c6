"""The examples of docs/how-to/stores.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "stores.md"


def test_the_how_to_examples_run_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 3
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LIFECYCLE_KEYS", raising=False)
    namespace: dict[str, object] = {"__name__": "stores_how_to"}

    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 (our own docs)

    assert (tmp_path / "lifecycle.db").exists()
    assert "needs repair" not in capsys.readouterr().out
