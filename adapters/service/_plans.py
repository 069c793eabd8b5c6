"""The service's logic, once, as plans: load, decide, commit, perform, feed back, commit.

Every plan is a generator of ``_ops`` steps (sans-I/O): the sync face and the async
face run the same plans and only perform the steps. The one way a record changes:

    load -> core.apply -> commit (compare-and-set, history, outbox, journal)
         -> perform the effect (no database lock held) -> answer or failure as an event
         -> core.apply -> commit (closes the journal entry in the same transaction)

A lost compare-and-set race re-reads and re-decides; it never writes over. The request
the core hands out (R15) is the lock across processes and machines: a second refresh is
refused while one is in flight, and its caller waits for the answer instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from attrs import frozen

import lifecycle as core
from adapters.stores import ConflictError, StoredConnection
from adapters.truelayer import (
    AccessDeniedError,
    AuthenticationNeeded,
    Extended,
    ExtendUser,
    InvalidGrant,
    InvalidToken,
    ReconfirmationNeeded,
    TrueLayerError,
)

from ._errors import BankRefused, BankUnavailable, Refused, UnresolvedRequest, bank_failure
from ._journal import answer_event, stored_answer
from ._ops import Call, Commit, Load, Now, Pause, Plan, RecordAnswer
from ._outbox import events_for
from ._resolve import resolve
from ._results import ExtendOutcome

__all__ = ["Plans", "Settings"]

Make = Callable[[datetime, core.Connection], core.Input]
AC = core.Status.ACTIVE


@frozen
class Settings:
    """What every plan decides by.

    Attributes:
        policy: the core's policy (the stores must use the same one).
        wait: the longest a caller waits for another process's request to be answered
            before it reports the request unresolved (R15).
        poll: how often it looks meanwhile, in seconds.
    """

    policy: core.Policy = core.DEFAULT_POLICY
    wait: float = 35.0
    poll: float = 0.05


class Plans:
    """The plans of one service: each method returns a generator of steps."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.policy = settings.policy

    # -- the one way a record changes -------------------------------------------------

    def now(self, record: core.Connection) -> Plan[datetime]:
        """The service's time, never before the record's last input (a skewed clock of
        another machine must not make the core refuse everything as going backwards)."""
        now: datetime = yield Now()
        return max(now, record.last_input_at)

    def decide(
        self,
        connection_id: str,
        make: Make,
        *,
        close_answer: int | None = None,
        link_state: core.Secret | None = None,
        keep_refusal: bool = True,
    ) -> Plan[tuple[StoredConnection, core.Decision]]:
        """Load, decide the input ``make`` builds, commit; again on a lost race.

        A decision that changes nothing is not written; a refusal is written to the
        history (``keep_refusal``) unless it is only a caller's retry.
        """
        while True:
            stored: StoredConnection = yield Load(connection_id)
            at = yield from self.now(stored.record)
            input = make(at, stored.record)
            decision = core.apply(stored.record, input, self.policy)
            unchanged = decision.record is stored.record and decision.accepted
            if (unchanged or (not decision.accepted and not keep_refusal)) and (
                close_answer is None and link_state is None
            ):
                return stored, decision
            events = events_for(connection_id, stored.record, input, decision, self.policy)
            commit = Commit(
                connection_id,
                stored.version,
                input,
                decision,
                events,
                close_answer,  # an answer refused (already resolved) is done with too
                link_state if decision.accepted else None,
            )
            try:
                stored = yield commit
            except ConflictError:
                continue  # someone committed first: read again, decide again
            return stored, decision

    def must(
        self, connection_id: str, make: Make, **options: Any
    ) -> Plan[tuple[StoredConnection, core.Decision]]:
        """``decide``, raising ``Refused`` when the core refuses."""
        stored, decision = yield from self.decide(connection_id, make, **options)
        if not decision.accepted:
            assert decision.reason is not None
            raise Refused(connection_id, decision.reason, decision.detail)
        return stored, decision

    def feedbank_failure(
        self, connection_id: str, request: int | None, error: TrueLayerError, **extra: Any
    ) -> Plan[core.Decision]:
        """Feed a failed call back as the event the core's mapping says (R15)."""
        _, decision = yield from self.decide(
            connection_id, lambda at, _: error.core_event(at, request=request, **extra)
        )
        return decision

    def answered(
        self, connection_id: str, request: int, result: Any
    ) -> Plan[tuple[StoredConnection, core.Decision]]:
        """Journal the answer at once, then apply it and close the entry (R15)."""
        answer = stored_answer(result)
        yield RecordAnswer(connection_id, request, answer)
        return (
            yield from self.decide(
                connection_id,
                lambda at, _: answer_event(answer, at, request),
                close_answer=request,
            )
        )

    # -- tokens ----------------------------------------------------------------------------

    def _live(self, record: core.Connection, at: datetime, leeway: bool) -> core.Secret | None:
        grant = record.grant
        if grant.access_token is None or grant.access_expires_at is None:
            return None
        margin = self.policy.refresh_leeway if leeway else timedelta(0)
        active = core.status_at(record, at, self.policy)[0] is AC
        return grant.access_token if active and at + margin < grant.access_expires_at else None

    def access_token(self, connection_id: str) -> Plan[core.Secret]:
        """A valid access token: refreshed ahead of expiry within the policy's leeway.

        Never two refreshes of one connection at once: the core hands out one request;
        a caller that finds another's refresh in flight waits for its answer.
        """
        waited = 0.0
        resolved = False
        while True:
            stored: StoredConnection = yield Load(connection_id)
            record = stored.record
            at = yield from self.now(record)
            token = self._live(record, at, leeway=True)
            if token is not None:
                return token
            decision = core.apply(record, core.Refresh(at), self.policy)
            if decision.accepted:
                try:
                    stored = yield Commit(
                        connection_id,
                        stored.version,
                        core.Refresh(at),
                        decision,
                        events_for(connection_id, record, core.Refresh(at), decision, self.policy),
                    )
                except ConflictError:
                    continue
                return (yield from self._perform_refresh(connection_id, stored))
            reason = decision.reason
            still = self._live(record, at, leeway=False)
            if reason is core.Reason.REQUEST_IN_FLIGHT:
                if still is not None:
                    return still  # inside the leeway but valid: no need to wait
                if waited >= self.settings.wait:
                    raise UnresolvedRequest(connection_id, "another refresh did not finish")
                yield Pause(self.settings.poll)
                waited += self.settings.poll
                continue
            if reason is core.Reason.REQUEST_UNRESOLVED and not resolved:
                resolved = True
                yield from self.resolve(connection_id)
                continue
            if still is not None:
                return still  # no refresh possible (no offline_access): use what is left
            assert reason is not None
            raise Refused(connection_id, reason, decision.detail)

    def refresh(
        self, connection_id: str, *, after_lost_extension: bool = False
    ) -> Plan[core.Secret]:
        """Refresh now, whatever the access token's expiry (R6: keep the refresh token
        alive before its first-use window closes; find out after a lost extension)."""
        while True:
            stored: StoredConnection = yield Load(connection_id)
            at = yield from self.now(stored.record)
            decision = core.apply(stored.record, core.Refresh(at), self.policy)
            if not decision.accepted:
                assert decision.reason is not None
                raise Refused(connection_id, decision.reason, decision.detail)
            refresh = core.Refresh(at)
            events = events_for(connection_id, stored.record, refresh, decision, self.policy)
            try:
                stored = yield Commit(connection_id, stored.version, refresh, decision, events)
            except ConflictError:
                continue
            return (yield from self._perform_refresh(connection_id, stored, after_lost_extension))

    def _perform_refresh(
        self, connection_id: str, stored: StoredConnection, after_lost_extension: bool = False
    ) -> Plan[core.Secret]:
        request = stored.record.request
        refresh_token = stored.record.grant.refresh_token
        assert request is not None  # the core just asked
        assert refresh_token is not None
        try:
            grant = yield Call("refresh", (refresh_token,))
        except TrueLayerError as error:
            if isinstance(error, InvalidGrant) and after_lost_extension:
                # The lost extension did take effect: it replaced the refresh token this
                # one was, and its successor never reached us (R15).
                yield from self.decide(
                    connection_id,
                    lambda at, _: core.TokenLost(at, error="invalid_grant", request=request.number),
                )
            else:
                yield from self.feedbank_failure(connection_id, request.number, error)
            raise bank_failure(connection_id, error) from None
        _, decision = yield from self.answered(connection_id, request.number, grant)
        token = decision.record.grant.access_token
        if not decision.accepted or token is None:
            raise UnresolvedRequest(connection_id, "the refresh's answer was not taken")
        return token

    # -- data ----------------------------------------------------------------------------

    def data(
        self, connection_id: str, method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> Plan[Any]:
        """A data call: refresh first when due; on 401 refresh once and retry once (R11)."""
        token = yield from self.access_token(connection_id)
        for attempt in (1, 2):
            try:
                return (yield Call(method, (token, *args), kwargs))
            except TrueLayerError as error:
                yield from self.feedbank_failure(connection_id, None, error, access_token=token)
                if isinstance(error, InvalidToken) and attempt == 1:
                    # The core counted the token expired only if it was still current.
                    token = yield from self.access_token(connection_id)
                    continue
                if isinstance(error, AccessDeniedError):  # R11: recorded as the core said
                    raise BankRefused(connection_id, "access_denied", str(error)) from None
                raise bank_failure(connection_id, error) from None
        raise AssertionError("unreachable: the second attempt returns or raises")

    # -- authorisation ----------------------------------------------------------------

    def exchange(self, connection_id: str) -> Plan[core.Decision]:
        """Exchange the code in hand exactly once (R3, R4)."""
        stored, _ = yield from self.must(connection_id, lambda at, _: core.ExchangeCode(at))
        record = stored.record
        request, code = record.request, record.code
        assert request is not None
        assert code is not None
        try:
            grant = yield Call(
                "exchange_code", (code.value,), {"code_verifier": code.code_verifier}
            )
        except TrueLayerError as error:
            decision = yield from self.feedbank_failure(connection_id, request.number, error)
            return decision
        _, decision = yield from self.answered(connection_id, request.number, grant)
        return decision

    # -- consent --------------------------------------------------------------------------

    def extend(self, connection_id: str, user: ExtendUser) -> Plan[ExtendOutcome]:
        """Extend (R9): all three answers; the user's link when they must re-authenticate."""
        stored, _ = yield from self.must(connection_id, lambda at, _: core.Extend(at))
        record = stored.record
        request, refresh_token = record.request, record.grant.refresh_token
        assert request is not None
        assert refresh_token is not None
        try:
            result = yield Call("extend", (refresh_token,), {"user": user})
        except TrueLayerError as error:
            yield from self.feedbank_failure(connection_id, request.number, error)
            raise bank_failure(connection_id, error) from None
        _, decision = yield from self.answered(connection_id, request.number, result)
        if isinstance(result, Extended):
            return ExtendOutcome(extended=decision.accepted)
        if isinstance(result, AuthenticationNeeded):
            return ExtendOutcome(extended=False, user_input_link=result.user_input_link)
        assert isinstance(result, ReconfirmationNeeded)
        return ExtendOutcome(extended=False, error="reconfirmation_of_consent_needed")

    def revoke(self, connection_id: str) -> Plan[None]:
        """Delete the connection at TrueLayer (R12) and record it."""
        stored: StoredConnection = yield Load(connection_id)
        at = yield from self.now(stored.record)
        token = self._live(stored.record, at, leeway=False)
        if token is None and core.status_at(stored.record, at, self.policy)[0] is AC:
            try:
                token = yield from self.access_token(connection_id)
            except (BankRefused, BankUnavailable, Refused):
                token = None
        stored, _ = yield from self.must(connection_id, lambda at, _: core.Revoke(at))
        request = stored.record.request
        assert request is not None  # the core just asked
        bearer = token or stored.record.grant.access_token
        if bearer is None:
            yield from self.decide(
                connection_id,
                lambda at, _: core.RequestFailed(
                    at, error="no_access_token", request=request.number
                ),
            )
            raise BankRefused(connection_id, "no_access_token", "no access token to delete with")
        try:
            result = yield Call("delete", (bearer,))
        except TrueLayerError as error:
            yield from self.feedbank_failure(connection_id, request.number, error)
            raise bank_failure(connection_id, error) from None
        yield from self.answered(connection_id, request.number, result)

    def reconcile(self, connection_id: str) -> Plan[datetime | None]:
        """R10: what ``/data/v1/me`` says of the consent's end shortens the core's clock."""
        consents = yield from self.data(connection_id, "me", (), {})
        reported = min(
            (c.consent_expires_at for c in consents if c.consent_expires_at is not None),
            default=None,
        )
        if reported is not None:
            yield from self.decide(
                connection_id,
                lambda at, _: core.ConsentExpiryReported(at, consent_expires_at=reported),
            )
        return reported

    # -- the journal: requests whose outcome is unknown (R15) ----------------------------

    def resolve(self, connection_id: str, stale: int | None = None) -> Plan[core.Decision | None]:
        """Resolve an unresolved request from the journal (R15): see ``_resolve``."""
        return resolve(self, connection_id, stale)
