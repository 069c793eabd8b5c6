"""Injected faults: a queue of misbehaviours, each applied to the next N matching calls."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from fnmatch import fnmatchcase

from adapters.sandbox._config import Fault
from adapters.sandbox._http import Response, error_json

__all__ = ["FaultQueue", "fault_answer"]


@dataclass(slots=True)
class _Queued:
    pattern: str
    fault: Fault
    remaining: int


class FaultQueue:
    """Faults waiting for calls, first queued first applied; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[_Queued] = []

    def add(self, pattern: str, fault: Fault) -> None:
        """Queue ``fault`` for the next ``fault.count`` calls matching ``pattern`` (a glob)."""
        with self._lock:
            self._queued.append(_Queued(pattern, fault, fault.count))

    def take(self, path: str) -> Fault | None:
        """The first queued fault matching ``path``, used up once; None if there is none."""
        with self._lock:
            for queued in self._queued:
                if fnmatchcase(path, queued.pattern):
                    queued.remaining -= 1
                    if queued.remaining == 0:
                        self._queued.remove(queued)
                    return queued.fault
        return None

    def pending(self) -> list[dict[str, object]]:
        """The queued faults, for ``GET /_admin/faults``."""
        with self._lock:
            return [
                {
                    "path": q.pattern,
                    "status": q.fault.status,
                    "delay": q.fault.delay,
                    "error": q.fault.error,
                    "remaining": q.remaining,
                }
                for q in self._queued
            ]

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._queued.clear()


def fault_answer(fault: Fault) -> Response:
    """The answer a fault gives instead of the real one (R11's error shapes)."""
    if fault.body is not None:
        content_type = fault.content_type or "application/json"
        return Response(fault.status or 200, fault.body.encode("utf-8"), content_type)
    status = fault.status or 500
    answer = error_json(status, fault.error_code(), "injected by the sandbox")
    if status == 429:
        # R11: a client should wait before retrying; say how long.
        return dataclasses.replace(answer, headers=(("Retry-After", "1"),))
    return answer
