"""The procrastinate app of the worker's tests: the blueprint every second, on the
database and schema named by ``LIFECYCLE_TEST_PROCRASTINATE`` (a libpq conninfo)."""

from __future__ import annotations

import os

import procrastinate

from adapters.worker.procrastinate import make_blueprint

app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=os.environ["LIFECYCLE_TEST_PROCRASTINATE"])
)
app.add_tasks_from(make_blueprint(cron="* * * * * *", limit=20), namespace="lifecycle")
