"""Schema migrations, in order; each store applies the missing ones in one transaction.

A database records what it has in ``schema_migrations``. Migrations only ever append
to this list (never edit a released one): a database written by any earlier version is
upgraded in place when a store opens it. A database that is *newer* than this library
is refused rather than misread.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

from ._errors import SchemaError

__all__ = ["LATEST", "MIGRATIONS", "Migration", "pending"]


@frozen
class Migration:
    """One step of the schema, in both dialects."""

    version: int
    name: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "connections and their append-only history",
        sqlite=(
            """CREATE TABLE connections (
                id TEXT PRIMARY KEY,
                record TEXT NOT NULL,
                status TEXT NOT NULL,
                next_due TEXT,
                version INTEGER NOT NULL,
                key_id TEXT,
                updated_at TEXT NOT NULL
            )""",
            """CREATE TABLE history (
                connection_id TEXT NOT NULL REFERENCES connections (id),
                seq INTEGER NOT NULL,
                at TEXT NOT NULL,
                input_type TEXT NOT NULL,
                input TEXT NOT NULL,
                accepted INTEGER NOT NULL,
                reason TEXT,
                effects TEXT NOT NULL,
                status_after TEXT NOT NULL,
                key_id TEXT,
                recorded_at TEXT NOT NULL,
                PRIMARY KEY (connection_id, seq)
            )""",
        ),
        postgres=(
            """CREATE TABLE connections (
                id text PRIMARY KEY,
                record jsonb NOT NULL,
                status text NOT NULL,
                next_due timestamptz,
                version bigint NOT NULL,
                key_id text,
                updated_at timestamptz NOT NULL
            )""",
            """CREATE TABLE history (
                connection_id text NOT NULL REFERENCES connections (id),
                seq bigint NOT NULL,
                at timestamptz NOT NULL,
                input_type text NOT NULL,
                input jsonb NOT NULL,
                accepted boolean NOT NULL,
                reason text,
                effects jsonb NOT NULL,
                status_after text NOT NULL,
                key_id text,
                recorded_at timestamptz NOT NULL,
                PRIMARY KEY (connection_id, seq)
            )""",
        ),
    ),
    Migration(
        2,
        "leases, and an index for the next due connections",
        # Workers on several machines share the due connections through leases; the
        # index (in the order lease_due reads) keeps "the next N due" a short index scan
        # however many connections there are, and however many of them are due.
        sqlite=(
            "ALTER TABLE connections ADD COLUMN lease_owner TEXT",
            "ALTER TABLE connections ADD COLUMN lease_until TEXT",
            "CREATE INDEX connections_next_due ON connections (next_due, id)",
        ),
        postgres=(
            "ALTER TABLE connections ADD COLUMN lease_owner text,"
            " ADD COLUMN lease_until timestamptz",
            "CREATE INDEX connections_next_due ON connections (next_due, id)",
        ),
    ),
    Migration(
        3,
        "leases in a narrow table of their own",
        # Leasing 1,000 rows used to rewrite 1,000 wide connection rows (about 1.5 KB of
        # sealed JSON each, each on its own page): that write, not the search, was the
        # cost of lease_due. A lease row is a few dozen bytes, so 1,000 of them fill a
        # few pages. One lease row per connection (create writes both): PostgreSQL
        # locks the lease row itself (FOR UPDATE OF leases SKIP LOCKED), so a lease
        # committed by another worker is re-checked when locked, never taken twice.
        sqlite=(
            """CREATE TABLE leases (
                id TEXT PRIMARY KEY REFERENCES connections (id),
                lease_owner TEXT,
                lease_until TEXT
            ) WITHOUT ROWID""",
            "INSERT INTO leases (id, lease_owner, lease_until)"
            " SELECT id, lease_owner, lease_until FROM connections",
            "ALTER TABLE connections DROP COLUMN lease_owner",
            "ALTER TABLE connections DROP COLUMN lease_until",
        ),
        postgres=(
            """CREATE TABLE leases (
                id text PRIMARY KEY REFERENCES connections (id),
                lease_owner text,
                lease_until timestamptz
            )""",
            "INSERT INTO leases (id, lease_owner, lease_until)"
            " SELECT id, lease_owner, lease_until FROM connections",
            "ALTER TABLE connections DROP COLUMN lease_owner, DROP COLUMN lease_until",
        ),
    ),
    Migration(
        4,
        "what is claimable, and when, in the lease table, with one index",
        # lease_due used to find due rows through connections (next_due, id) and step
        # over every row already leased (each looked up in leases). Now the lease row
        # carries all a lease needs (next_due, version) and claimable_at: the time from
        # which the row may be leased, its next_due when nobody holds it, the later of
        # next_due and lease_until while leased (NULL when nothing is due). A leased row
        # thus leaves the range "claimable_at <= now" until its lease ends, and one index,
        # (claimable_at, id), drives lease_due without a join. The old due index goes:
        # nothing reads it, and every commit paid for it.
        sqlite=(
            "ALTER TABLE leases ADD COLUMN next_due TEXT",
            "ALTER TABLE leases ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE leases ADD COLUMN claimable_at TEXT",
            "UPDATE leases SET next_due = c.next_due, version = c.version, claimable_at ="
            " CASE WHEN c.next_due IS NULL THEN NULL WHEN leases.lease_until > c.next_due"
            " THEN leases.lease_until ELSE c.next_due END"
            " FROM connections c WHERE c.id = leases.id",
            "DROP INDEX connections_next_due",
            "CREATE INDEX leases_claimable ON leases (claimable_at, id)",
        ),
        postgres=(
            "ALTER TABLE leases ADD COLUMN next_due timestamptz, ADD COLUMN version bigint,"
            " ADD COLUMN claimable_at timestamptz",
            "UPDATE leases l SET next_due = c.next_due, version = c.version, claimable_at ="
            " CASE WHEN c.next_due IS NULL THEN NULL WHEN l.lease_until > c.next_due"
            " THEN l.lease_until ELSE c.next_due END"
            " FROM connections c WHERE c.id = l.id",
            "ALTER TABLE leases ALTER COLUMN version SET NOT NULL",
            "DROP INDEX connections_next_due",
            "CREATE INDEX leases_claimable ON leases (claimable_at, id)",
        ),
    ),
    Migration(
        5,
        "the outbox, the journal of raw answers, and the callback state index",
        # outbox: events written with the commit that caused them (position: commit
        # order; SQLite's single writer gives it, PostgreSQL takes the one row of
        # outbox_positions, locked until the commit). The partial index keeps "the
        # unacknowledged events after P" short however many were acknowledged.
        # answers: the raw answer of a token request, sealed, until the commit that
        # applies it deletes it (R15). connections.state_key: the keyed hash of the
        # link's state (R14), with a sealed copy for reencrypt; indexed where set.
        sqlite=(
            """CREATE TABLE outbox (
                position INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id TEXT NOT NULL UNIQUE,
                connection_id TEXT NOT NULL REFERENCES connections (id),
                type TEXT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT,
                consent_expires_at TEXT,
                at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                acked_at TEXT
            )""",
            "CREATE INDEX outbox_unacked ON outbox (position) WHERE acked_at IS NULL",
            "CREATE INDEX outbox_connection ON outbox (connection_id, position)",
            """CREATE TABLE answers (
                connection_id TEXT NOT NULL REFERENCES connections (id),
                request INTEGER NOT NULL,
                answer TEXT NOT NULL,
                key_id TEXT,
                recorded_at TEXT NOT NULL,
                PRIMARY KEY (connection_id, request)
            )""",
            "CREATE INDEX answers_oldest ON answers (recorded_at, connection_id, request)",
            "ALTER TABLE connections ADD COLUMN state_key TEXT",
            "ALTER TABLE connections ADD COLUMN state_sealed TEXT",
            "CREATE INDEX connections_state_key ON connections (state_key)"
            " WHERE state_key IS NOT NULL",
        ),
        postgres=(
            """CREATE TABLE outbox (
                position bigint PRIMARY KEY,
                event_id text NOT NULL UNIQUE,
                connection_id text NOT NULL REFERENCES connections (id),
                type text NOT NULL,
                status text NOT NULL,
                reason text,
                consent_expires_at timestamptz,
                at timestamptz NOT NULL,
                recorded_at timestamptz NOT NULL,
                acked_at timestamptz
            )""",
            "CREATE INDEX outbox_unacked ON outbox (position) WHERE acked_at IS NULL",
            "CREATE INDEX outbox_connection ON outbox (connection_id, position)",
            """CREATE TABLE outbox_positions (
                one boolean PRIMARY KEY DEFAULT true CHECK (one),
                last bigint NOT NULL
            )""",
            "INSERT INTO outbox_positions (one, last) VALUES (true, 0)",
            """CREATE TABLE answers (
                connection_id text NOT NULL REFERENCES connections (id),
                request bigint NOT NULL,
                answer text NOT NULL,
                key_id text,
                recorded_at timestamptz NOT NULL,
                PRIMARY KEY (connection_id, request)
            )""",
            "CREATE INDEX answers_oldest ON answers (recorded_at, connection_id, request)",
            "ALTER TABLE connections ADD COLUMN state_key text, ADD COLUMN state_sealed text",
            "CREATE INDEX connections_state_key ON connections (state_key)"
            " WHERE state_key IS NOT NULL",
        ),
    ),
    Migration(
        6,
        "the standing agenda beside each record",
        # What is due for a connection, read by a worker without reading the record
        # (lifecycle.standing_agenda); written with the record. Rows written before
        # this have none: their agenda is read off the record until their next commit.
        # agenda_version: the version it was written for (``AGENDAS`` reads only those).
        sqlite=(
            "ALTER TABLE connections ADD COLUMN agenda TEXT",
            "ALTER TABLE connections ADD COLUMN agenda_version INTEGER",
        ),
        postgres=(
            "ALTER TABLE connections ADD COLUMN agenda text, ADD COLUMN agenda_version bigint",
        ),
    ),
)
LATEST = MIGRATIONS[-1].version


def pending(applied: Iterable[int], target: int | None = None) -> list[Migration]:
    """The migrations to apply, in order, to go from ``applied`` to ``target``.

    Raises:
        SchemaError: the database is newer than this library, has a gap, or
            ``target`` is not a known version.
    """
    done = sorted(set(applied))
    goal = LATEST if target is None else target
    if not 0 <= goal <= LATEST:
        raise SchemaError(f"no schema version {goal}: this library knows 1..{LATEST}")
    if done and done[-1] > LATEST:
        raise SchemaError(
            f"the database is at schema version {done[-1]}, newer than this library "
            f"(which knows up to {LATEST}): upgrade truelayer-lifecycle"
        )
    if done != list(range(1, len(done) + 1)):
        raise SchemaError(f"schema_migrations has a gap: {done}")
    return [step for step in MIGRATIONS if len(done) < step.version <= goal]
