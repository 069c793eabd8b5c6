"""Asynchronous Data API calls (``async=true``): queued tasks, their results, webhooks.

Theory of operation: the gate has already authenticated the call and checked its scopes,
and hands over the answer the call would have had right now (a snapshot). The task is
``Queued``; after ``SandboxConfig.async_delay`` seconds of real time a timer thread marks
it ``Succeeded`` (a 2xx answer) or ``Failed`` (an error answer) and, when the call named a
``webhook_uri``, POSTs TrueLayer's notification there: ``request_timestamp``,
``request_uri``, ``credentials_id``, ``task_id``, ``status`` and ``results_uri`` (and, on
failure, ``error`` and ``error_description``), never the results themselves. The results
endpoint then serves the stored answer. While the task runs it answers the task's status
without ``results`` (*unconfirmed*: TrueLayer's pages do not show that answer).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from adapters.sandbox._http import Response, json_answer

__all__ = ["Task", "TaskBook", "queue"]

_log = logging.getLogger("adapters.sandbox")


@dataclass(slots=True)
class Task:
    """One queued call and, once done, its answer."""

    task_id: str
    connection_id: str
    request_uri: str = field(repr=False)
    request_timestamp: str
    results_uri: str
    status: str = "Queued"
    outcome: Response | None = field(default=None, repr=False)

    def summary(self) -> dict[str, str]:
        """``{results_uri, status, task_id}``: what the queued call and a poll answer."""
        return {"results_uri": self.results_uri, "status": self.status, "task_id": self.task_id}

    def answer(self) -> Response:
        """The results endpoint's answer: the stored outcome, or the status so far."""
        if self.outcome is None:
            return json_answer(200, self.summary())
        return self.outcome

    def notification(self) -> dict[str, str]:
        """The webhook body (the results are fetched from ``results_uri``)."""
        body = {
            "request_timestamp": self.request_timestamp,
            "request_uri": self.request_uri,
            "credentials_id": self.connection_id,
            "task_id": self.task_id,
            "status": self.status,
            "results_uri": self.results_uri,
        }
        if self.status == "Failed" and self.outcome is not None:
            error = json.loads(self.outcome.body)
            body["error"] = str(error.get("error", ""))
            body["error_description"] = str(error.get("error_description", ""))
        return body


class TaskBook:
    """The tasks of one sandbox, by id; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}

    def add(self, task: Task) -> None:
        """Keep ``task``."""
        with self._lock:
            self._tasks[task.task_id] = task

    def get(self, task_id: str) -> Task | None:
        """The task with this id, or None."""
        with self._lock:
            return self._tasks.get(task_id)

    def finish(self, task: Task, outcome: Response) -> None:
        """Store the outcome: ``Succeeded`` for a 2xx answer, ``Failed`` otherwise."""
        with self._lock:
            task.outcome = outcome
            task.status = "Succeeded" if 200 <= outcome.status < 300 else "Failed"


def _deliver(webhook_uri: str, body: dict[str, str]) -> None:
    """POST the notification once; a client that cannot be reached just misses it."""
    parts = urlsplit(webhook_uri)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = connection_class(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    payload = json.dumps(body, sort_keys=True).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "X-TL-Webhook-Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "X-TL-Correlation-Id": str(uuid.uuid4()),
    }
    try:
        conn.request("POST", target, body=payload, headers=headers)
        conn.getresponse().read()
    except OSError as error:
        _log.debug("sandbox: webhook delivery failed (%s)", type(error).__name__)
    finally:
        conn.close()


def queue(
    book: TaskBook,
    *,
    connection_id: str,
    request_uri: str,
    request_timestamp: str,
    results_base: str,
    outcome: Response,
    webhook_uri: str | None,
    delay: float,
) -> Response:
    """Queue a call whose answer is ``outcome``; answer ``{results_uri, status, task_id}``."""
    task_id = str(uuid.uuid4())
    task = Task(
        task_id=task_id,
        connection_id=connection_id,
        request_uri=request_uri,
        request_timestamp=request_timestamp,
        results_uri=f"{results_base}/{task_id}",
    )
    book.add(task)
    answer = json_answer(200, task.summary())

    def complete() -> None:
        book.finish(task, outcome)
        if webhook_uri is not None:
            _deliver(webhook_uri, task.notification())

    timer = threading.Timer(delay, complete)
    timer.daemon = True  # a pending task must not keep a stopped sandbox's process alive
    timer.name = f"sandbox-task-{task_id[:8]}"
    timer.start()
    return answer
