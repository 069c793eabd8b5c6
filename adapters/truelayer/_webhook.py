"""The notification TrueLayer POSTs to a ``webhook_uri`` when a queued call is done.

It carries no results (fetch them with ``results(token, task)``), and nothing in it is
trusted beyond naming a task: the results are fetched with the application's own token
from the application's own configured API URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import cattrs
from attrs import field, frozen

from .._json import NotJSON, loads
from ._call import Call
from ._convert import describe, structure
from ._errors import MalformedResponse

__all__ = ["Webhook", "parse_webhook"]

_MAX_BODY = 64 * 1024  # a notification is a few hundred bytes


@frozen(kw_only=True)
class Webhook:
    """A queued call's completion notice.

    Attributes:
        task_id: the task (``AsyncTask.task_id``).
        status: ``Succeeded`` or ``Failed``.
        results_uri: where TrueLayer says the results are (not followed by the client).
        request_uri: the call that was queued.
        request_timestamp: when it was queued.
        credentials_id: the connection (``Consent.credentials_id``).
        error: on failure, TrueLayer's error code (*unconfirmed* field name).
        error_description: on failure, TrueLayer's text (not shown in ``repr``).
    """

    task_id: str
    status: str
    results_uri: str | None = None
    request_uri: str | None = field(default=None, repr=False)
    request_timestamp: datetime | None = None
    credentials_id: str | None = None
    error: str | None = None
    error_description: str | None = field(default=None, repr=False)
    extra: Mapping[str, Any] = field(factory=dict, repr=False)

    @property
    def succeeded(self) -> bool:
        """Whether the results are there to fetch."""
        return self.status == "Succeeded"


def parse_webhook(body: bytes | str) -> Webhook:
    """Read a webhook's body.

    Raises:
        MalformedResponse: it is not JSON, too long, or lacks ``task_id``/``status``.
    """
    if len(body) > _MAX_BODY:
        raise MalformedResponse(Call.DATA, detail="webhook body too long")
    try:
        payload = loads(body)
        return structure(payload, Webhook)
    except NotJSON:
        raise MalformedResponse(Call.DATA, detail="webhook body is not JSON") from None
    except (cattrs.BaseValidationError, TypeError, ValueError) as error:
        raise MalformedResponse(Call.DATA, detail=f"webhook: {describe(error)}") from None
