"""SIGTERM during a batch: finish the connection in hand, release the rest, then end."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["graceful_sigterm"]


@contextmanager
def graceful_sigterm(stop: threading.Event) -> Iterator[None]:
    """While inside, SIGTERM sets ``stop`` instead of killing the process at once.

    Only where Python can install a handler (the main thread) and only when SIGTERM
    still has its default action: a program with its own handler (the ``lifecycle
    worker`` command, a job engine) keeps it and passes its own ``stop``. A SIGTERM
    received inside is delivered again on the way out, so the process still ends as it
    was asked to, with nothing half-done and no lease held.
    """
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    received = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        received.set()
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if received.is_set():
            signal.raise_signal(signal.SIGTERM)
