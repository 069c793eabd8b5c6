"""The service under a stateful test: random operations and clock steps against the
sandbox; after every step the toolkit's invariants hold of the stored record, and the
core replaying the stored history gives the very record the store holds."""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import hypothesis.strategies as st
from connections_support import PROVIDERS, SCOPES, sync_client
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import lifecycle as core
from adapters.sandbox import ExtendAnswer, Sandbox, SandboxConfig
from adapters.service import Connections, ServiceError
from adapters.stores import Keyring, SqliteStore
from adapters.truelayer import ExtendUser
from lifecycle.testing import check_record, durations_of

USER = ExtendUser(id="u-1", name="Ada Lovelace", email="ada@example.test")
# Steps of the clock: a second, and every duration a deadline of the policy is made of,
# a second either side (the toolkit's boundary-hugging durations).
STEPS = sorted(
    {
        d + s
        for d in durations_of()
        for s in (timedelta(seconds=-1), timedelta(0), timedelta(seconds=1))
    }
    | {timedelta(seconds=1), timedelta(minutes=2)}
)


class ServiceMachine(RuleBasedStateMachine):
    """One connection, driven only through the service's public methods."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.sandbox = Sandbox(SandboxConfig()).start()
        keys = Keyring({"k1": os.urandom(32)}, "k1")
        self.store = SqliteStore(Path(self.folder.name) / "s.db", keyring=keys).open()
        self.client = sync_client(self.sandbox)
        self.connections = Connections(
            store=self.store, client=self.client, clock=self.sandbox.clock.now
        )
        link = self.connections.begin(region="uk", scopes=SCOPES, providers=PROVIDERS)
        self.cid, self.url = link.connection_id, link.url
        self.query: dict[str, str] | None = None

    def teardown(self) -> None:
        self.client.close()
        self.store.close()
        self.sandbox.stop()
        self.folder.cleanup()

    def _try(self, call: object, *args: object, **kwargs: object) -> None:
        # Refused or failed: recorded by the service, and checked by the invariants.
        with contextlib.suppress(ServiceError):
            call(*args, **kwargs)  # type: ignore[operator]

    @precondition(lambda self: self.query is None)
    @rule(allow=st.booleans())
    def the_user_answers_the_dialog(self, allow: bool) -> None:
        self.query = self.sandbox.consent(self.url, allow=allow)
        self._try(self.connections.handle_callback, self.query)

    @precondition(lambda self: self.query is not None)
    @rule()
    def the_callback_is_reloaded(self) -> None:
        self._try(self.connections.handle_callback, self.query or {})

    @rule(step=st.sampled_from(STEPS))
    def time_passes(self, step: timedelta) -> None:
        self.sandbox.clock.advance(step)

    @rule()
    def the_app_reads_accounts(self) -> None:
        self._try(self.connections.accounts, self.cid)

    @rule()
    def the_worker_refreshes(self) -> None:
        self._try(self.connections.refresh, self.cid)

    @rule()
    def the_worker_records_the_time(self) -> None:
        self._try(self.connections.tick, self.cid)

    @rule(answer=st.sampled_from(list(ExtendAnswer)))
    def the_user_reconfirms_and_the_app_extends(self, answer: ExtendAnswer) -> None:
        self.sandbox.configure(extend_answer=answer)
        self._try(self.connections.reconfirm, self.cid, evidence="in-app banner")
        self._try(self.connections.extend, self.cid, user=USER)

    @rule()
    def the_user_revokes(self) -> None:
        self._try(self.connections.revoke, self.cid)

    @invariant()
    def the_stored_record_keeps_the_cores_invariants(self) -> None:
        stored = self.store.get(self.cid)
        check_record(stored.record, max(self.sandbox.clock.now(), stored.record.last_input_at))

    @invariant()
    def replaying_the_stored_history_gives_the_stored_record(self) -> None:
        history = self.store.history(self.cid)
        first = history[0].input
        assert isinstance(first, core.ConnectionStarted)
        record = core.start(first)
        for entry in history[1:]:
            decision = core.apply(record, entry.input)
            assert decision.accepted == entry.accepted, entry.input_type
            record = decision.record
        assert record == self.store.get(self.cid).record
        assert len(history) == self.store.get(self.cid).version


ServiceMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("LIFECYCLE_SERVICE_EXAMPLES", "15")),
    stateful_step_count=12,
    deadline=None,
)
test_the_service_keeps_the_cores_invariants_through_random_operations = ServiceMachine.TestCase
