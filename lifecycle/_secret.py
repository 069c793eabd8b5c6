"""A string that never shows itself: tokens, codes, verifiers, states."""

from __future__ import annotations

import hashlib

from attrs import field, frozen

__all__ = ["Secret", "fingerprint"]


def fingerprint(value: str) -> str:
    """A short, stable, non-reversible name for a secret, safe to log."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]


@frozen
class Secret:
    """Holds a secret value; ``repr`` and ``str`` show only its fingerprint (DESIGN.md).

    Use :meth:`reveal` at the one place the value must leave the process (an HTTP call,
    an encrypted store).
    """

    _value: str = field(repr=False, alias="value")

    def reveal(self) -> str:
        """Return the secret value itself."""
        return self._value

    @property
    def fingerprint(self) -> str:
        """The first 12 hex digits of the value's SHA-256."""
        return fingerprint(self._value)

    def __repr__(self) -> str:
        return f"Secret(sha256:{self.fingerprint})"

    __str__ = __repr__

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        # Hypothesis and IPython pretty-print through this, not ``__repr__``: a failing
        # example must show the fingerprint too, never the value.
        printer.text(repr(self))  # type: ignore[attr-defined]
