"""JSON from outside (a file, an HTTP body, a database row): one kind of failure.

``json.loads`` fails in three ways on hostile text: ``JSONDecodeError`` for what is not
JSON, a plain ``ValueError`` for a number of more than 4,300 digits, and
``RecursionError`` for arrays or objects nested a few thousand deep. Every reader of
outside JSON in the shell goes through ``loads``, so each of them has one error to
turn into its own clear, typed one.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["NotJSON", "loads"]


class NotJSON(ValueError):
    """The text is not JSON that can be read; ``reason`` says why, without the text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def loads(text: str | bytes) -> Any:
    """Parse JSON text.

    Raises:
        NotJSON: it is not JSON, holds a number too long to read, or nests too deeply.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise NotJSON(f"{error.msg} at char {error.pos}") from None
    except RecursionError:
        raise NotJSON("nested too deeply") from None
    except ValueError:
        # Python refuses to convert an integer of more than 4,300 digits.
        raise NotJSON("a number too long to read") from None
