"""Random input sequences over random times keep the lifecycle's invariants.

Each example starts a connection and feeds it up to 40 inputs at increasing (and, now and
then, decreasing) times. Most inputs are drawn among those the table has a row for in the
current status, so that examples reach deep into the lifecycle; the rest are anything.
The core and the ``transitions`` machine built from the same table must agree throughout.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

import lifecycle as core
from lifecycle import Reason, Status
from lifecycle._machine import oracle_next

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECONDS = [0, 1, 59, 120, 299, 300, 301, 3299, 3300, 3599, 3600, 86_400]
DAYS = [1, 13, 29, 30, 31, 60, 76, 83, 89, 90, 91, 179, 180, 181, 365]

# Mostly short steps (so that codes get exchanged within their five minutes), and now
# and then a jump to a boundary or far beyond. Strategies are built once, at import:
# building them per draw costs more than the whole core.
GAPS = (
    *[st.integers(0, 90).map(lambda s: timedelta(seconds=s))] * 6,
    *[st.sampled_from(SECONDS).map(lambda s: timedelta(seconds=s))] * 2,
    st.sampled_from(DAYS).map(lambda d: timedelta(days=d)),
    st.integers(0, 200 * 86_400).map(lambda s: timedelta(seconds=s)),
)
secrets = st.sampled_from(["s-a", "s-b", "s-c"]).map(core.Secret)
maybe_secret = st.none() | secrets
expires_in = st.sampled_from([0, 60, 3600]) | st.integers(0, 10**6)
scopes = st.sampled_from(
    [("info", "accounts", "offline_access"), ("info", "accounts"), ("accounts", "offline_access")]
)
text = st.sampled_from(["access_denied", "invalid_grant", "banner", "email"])
tokens: dict[str, st.SearchStrategy[Any]] = {
    "expires_in": expires_in,
    "refresh_token": maybe_secret,
    "access_token": maybe_secret,
}

# The fields of each input but ``at``; inputs without fields are absent.
_FIELD_SPECS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "connection_started": {"region": st.just("uk"), "scopes": scopes},
    "link_issued": {"state": secrets, "code_verifier": maybe_secret},
    "user_authorised": {"code": secrets, "state": maybe_secret},
    "user_denied": {"error": text, "state": maybe_secret},
    "code_exchanged": tokens,
    "code_rejected": {"error": text},
    "token_refreshed": tokens,
    "refresh_rejected": {"error": text},
    "consent_reconfirmed": {"evidence": text},
    "extension_granted": {**tokens, "refresh_token": secrets},
    "extension_needs_authentication": {"user_input_link": st.just("https://x.test")},
    "consent_expiry_reported": {
        "consent_expires_at": st.integers(0, 400).map(lambda d: T0 + timedelta(days=d))
    },
    "fetch_failed": {"error": st.sampled_from(["invalid_token", "sca_exceeded"])},
    "request_failed": {"error": text},
    "outcome_unknown": {"error": st.just("timeout")},
    "token_lost": {"error": text},
}
FIELDS = {kind: st.fixed_dictionaries(spec) for kind, spec in _FIELD_SPECS.items()}


def draw_gap(data: st.DataObject) -> timedelta:
    return data.draw(GAPS[data.draw(st.integers(0, len(GAPS) - 1))], label="gap")


def _link_state(record: core.Connection) -> core.Secret | None:
    return None if record.link is None else record.link.state


def draw_input(data: st.DataObject, kind: str, at: datetime, record: core.Connection) -> core.Input:
    fields = dict(data.draw(FIELDS[kind], label=kind)) if kind in FIELDS else {}
    # The callback usually carries the state of the link (R14), sometimes not.
    if "state" in fields and kind != "link_issued" and data.draw(st.booleans()):
        fields["state"] = _link_state(record)
    if kind == "fetch_failed" and data.draw(st.booleans()):
        fields["access_token"] = record.grant.access_token
    if kind in ANSWERS:
        # Answers name the request in flight, none (the one in flight), or another.
        number = None if record.request is None else record.request.number
        fields["request"] = data.draw(st.sampled_from([None, number, record.requests_sent + 1]))
    return core.INPUT_TYPES[kind](at, **fields)


# R15: the inputs that answer requests, and what each may answer.
ANSWERS: dict[str, set[core.Effect]] = {}
for _row in core.TABLE:
    if _row.answers:
        ANSWERS.setdefault(_row.input, set()).update(_row.answers)
REQUEST_EFFECTS = {
    core.Effect.EXCHANGE_CODE,
    core.Effect.REFRESH_TOKEN,
    core.Effect.EXTEND_CONNECTION,
    core.Effect.DELETE_CONNECTION,
}


# Inputs that keep a connection going are drawn more often than those that end it.
ONGOING = (
    "refresh",
    "token_refreshed",
    "fetch_data",
    "consent_reconfirmed",
    "extend",
    "extension_granted",
)


def _fitting(status: Status) -> list[str]:
    fitting = sorted(
        {row.input for row in core.TABLE if row.source is status} & set(core.INPUT_TYPES)
    )
    return fitting + [kind for kind in ONGOING if kind in fitting] * 5


FITTING = {status: st.sampled_from(_fitting(status)) for status in Status}
ANY_INPUT = st.sampled_from(sorted(core.INPUT_TYPES))


def check_step(
    before: core.Connection, input: core.Input, decision: core.Decision, policy: core.Policy
) -> None:
    at = input.at
    after = decision.record
    # A refusal changes nothing; an acceptance moves the record's time forward.
    if not decision.accepted:
        assert after is before
        assert decision.reason is not None
    else:
        # An input that changes nothing leaves the very same record.
        assert after is before or after.last_input_at == at
    if input.at < before.last_input_at:
        assert decision.reason is Reason.CLOCK_WENT_BACKWARDS
        return

    # R15: an answer is accepted only for the request in flight; a command hands out a
    # request only into a free slot; request numbers only grow.
    settled = core.settle(before, at, policy)
    if decision.accepted and input.TYPE in ANSWERS:
        asked = settled.request
        assert asked is not None and asked.effect in ANSWERS[input.TYPE]
        assert getattr(input, "request", None) in (None, asked.number)
    handed_out = after.request is not None and (
        settled.request is None or after.request.number != settled.request.number
    )
    if decision.accepted and handed_out:
        assert after.request is not None
        assert settled.request is None and input.KIND is core.Kind.COMMAND
        assert after.request.effect in REQUEST_EFFECTS
        assert after.request.number == settled.requests_sent + 1
    assert after.requests_sent >= before.requests_sent
    if after.request is not None:
        assert after.request.number == after.requests_sent

    status, inactive_reason = core.status_at(after, at, policy)
    assert status in set(Status)
    assert (status is Status.INACTIVE) == (inactive_reason is not None)

    # No active connection past consent expiry, and no access token outlives consent.
    limits = core.deadlines(after, at, policy)
    if status is Status.ACTIVE:
        assert limits.consent_expires_at is not None
        assert at < limits.consent_expires_at
        assert core.status_at(after, limits.consent_expires_at, policy)[0] is not Status.ACTIVE
        if limits.access_expires_at is not None:
            assert limits.access_expires_at <= limits.consent_expires_at
        for item in core.agenda(after, at, policy):
            # What works on the consent is due before it ends; resolving a request in
            # flight is due whenever its time limit says (R15).
            if item.action is not core.Action.RESOLVE_REQUEST:
                assert item.due <= limits.consent_expires_at

    # Deadlines never move backwards, except when the consent clock restarts.
    old = core.deadlines(before, at, policy)
    # R9 restarts the consent clock; R10 may report an earlier end than derived.
    restarts = input.TYPE in {"extension_granted", "code_exchanged", "consent_expiry_reported"}
    for name in ("consent_expires_at", "extend_until", "refresh_use_by"):
        was, now = getattr(old, name), getattr(limits, name)
        if was is not None and now is not None and not restarts:
            assert now >= was, name

    # The transitions machine, built from the same table, agrees on every move.
    if settled.status is not before.status:
        fired = [row for row in core.TIME_RULES if row.source is before.status]
        assert any(oracle_next(before.status, row.input) is settled.status for row in fired)
    if decision.accepted:
        assert oracle_next(settled.status, input.TYPE) is after.status
    elif decision.reason in {Reason.NOT_ALLOWED_IN_STATUS, Reason.NOT_ACTIVE}:
        assert oracle_next(settled.status, input.TYPE) is None

    # The JSON forms round-trip exactly.
    text = json.dumps(core.record_to_json(after))
    assert core.record_from_json(json.loads(text)) == after
    assert core.input_from_json(json.loads(json.dumps(core.input_to_json(input)))) == input


def happy_prefix(data: st.DataObject, at: datetime) -> list[core.Input]:
    """Link, callback, exchange: the way most real connections become active."""
    state = core.Secret("s-link")
    return [
        core.LinkIssued(at, state=state),
        core.UserAuthorised(at + timedelta(seconds=30), code=core.Secret("c"), state=state),
        core.ExchangeCode(at + timedelta(seconds=31)),
        core.CodeExchanged(at + timedelta(seconds=32), **data.draw(FIELDS["code_exchanged"])),
    ]


@given(data=st.data(), region=st.sampled_from(["uk", "au", "eu"]), scope=scopes)
def test_random_histories_keep_every_invariant(
    data: st.DataObject, region: str, scope: tuple[str, ...]
) -> None:
    policy = core.DEFAULT_POLICY
    record = core.start(core.ConnectionStarted(T0, region=region, scopes=scope), policy)
    # Half the examples begin active, so that they spend their steps deep in the lifecycle.
    prefix = happy_prefix(data, T0) if data.draw(st.booleans(), label="active first?") else []
    for input in prefix:
        decision = core.apply(record, input, policy)
        check_step(record, input, decision, policy)
        record = decision.record
    at = record.last_input_at
    for _ in range(data.draw(st.integers(5, 40), label="length")):
        if data.draw(st.integers(0, 19), label="backwards?") == 0:
            at = at - draw_gap(data) - timedelta(seconds=1)
        else:
            at = at + draw_gap(data)
        status = core.settle(record, max(at, record.last_input_at), policy).status
        pool = FITTING[status] if data.draw(st.integers(0, 3)) else ANY_INPUT
        kind = data.draw(pool, label="input")
        input = draw_input(data, kind, at, record)
        decision = core.apply(record, input, policy)
        check_step(record, input, decision, policy)
        if decision.accepted:
            event(f"accepted {kind}")
        record = decision.record
        at = max(at, record.last_input_at)


@given(data=st.data())
def test_a_shortened_policy_keeps_the_same_invariants(data: st.DataObject) -> None:
    # Every duration is a setting: shrink them all and the rules must still hold.
    policy = core.Policy(
        code_lifetime=timedelta(seconds=30),
        refresh_first_use_window=timedelta(days=2),
        extend_window=timedelta(days=3),
        reminder_offsets=(timedelta(days=1),),
    )
    record = core.start(core.ConnectionStarted(T0, region="uk", scopes=data.draw(scopes)), policy)
    at = T0
    for _ in range(data.draw(st.integers(1, 30), label="length")):
        at = at + draw_gap(data)
        kind = data.draw(FITTING[core.settle(record, at, policy).status], label="input")
        input = draw_input(data, kind, at, record)
        decision = core.apply(record, input, policy)
        check_step(record, input, decision, policy)
        record = decision.record


# The ends of the accepted range, with the shortest and the longest settings: every
# deadline must still exist (no arithmetic may fail), and every invariant still hold.
TICK, CENTURY = timedelta(microseconds=1), core.LONGEST
EDGE_STARTS = st.sampled_from(
    [core.EARLIEST, core.LATEST - timedelta(days=400), core.LATEST - timedelta(seconds=1)]
)
_EDGE_TOKENS = {**tokens, "expires_in": st.sampled_from([0, 1, 3600, CENTURY.days * 86_400])}
EDGE_FIELDS = {
    **FIELDS,
    "code_exchanged": st.fixed_dictionaries(_EDGE_TOKENS),
    "token_refreshed": st.fixed_dictionaries(_EDGE_TOKENS),
    "extension_granted": st.fixed_dictionaries({**_EDGE_TOKENS, "refresh_token": secrets}),
    "consent_expiry_reported": st.fixed_dictionaries(
        {"consent_expires_at": st.sampled_from([core.EARLIEST, core.LATEST - TICK])}
    ),
}


def edge_policy(data: st.DataObject) -> core.Policy:
    def pick(default: timedelta, shortest: timedelta) -> timedelta:
        return data.draw(st.sampled_from([shortest, default, CENTURY]))

    uk = core.RegionPolicy(
        pick(timedelta(days=90), TICK), pick(timedelta(hours=1), TICK), extendable=True
    )
    return core.Policy(
        regions={"uk": uk},
        code_lifetime=pick(timedelta(minutes=5), TICK),
        refresh_first_use_window=pick(timedelta(days=30), TICK),
        extend_window=pick(timedelta(days=90), timedelta(0)),
        refresh_leeway=pick(timedelta(minutes=5), timedelta(0)),
        keep_alive_margin=pick(timedelta(days=1), timedelta(0)),
        reminder_offsets=(pick(timedelta(days=14), TICK), pick(timedelta(days=1), TICK)),
        request_timeout=pick(timedelta(minutes=2), TICK),
    )


@given(data=st.data(), start=EDGE_STARTS, scope=scopes)
def test_histories_at_the_ends_of_the_range_never_fail_on_arithmetic(
    data: st.DataObject, start: datetime, scope: tuple[str, ...]
) -> None:
    policy = edge_policy(data)
    record = core.start(core.ConnectionStarted(start, region="uk", scopes=scope), policy)
    at = start
    for _ in range(data.draw(st.integers(1, 30), label="length")):
        at = min(at + draw_gap(data), core.LATEST - TICK)
        status = core.settle(record, at, policy).status
        kind = data.draw(FITTING[status] if data.draw(st.booleans()) else ANY_INPUT)
        fields = dict(data.draw(EDGE_FIELDS[kind])) if kind in EDGE_FIELDS else {}
        if "state" in fields and kind != "link_issued":
            fields["state"] = _link_state(record)
        input = core.INPUT_TYPES[kind](at, **fields)
        decision = core.apply(record, input, policy)
        check_step(record, input, decision, policy)
        if decision.accepted:
            event(f"accepted {kind}")
        record = decision.record
        # Every question about the record, at its own time and at the last one accepted.
        for now in (at, core.LATEST - TICK):
            core.next_due(record, now, policy)
            core.deadlines(record, now, policy)
