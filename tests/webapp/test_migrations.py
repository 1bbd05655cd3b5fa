"""The Alembic migrations and the typed models describe the same schema."""

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
)

from guides.models import AuditEntry
from tours.db import Base, utcnow
from webapp.common.database import (
    alembic_config,
    current_revisions,
    newest_revisions,
    schema_is_current,
    upgrade,
)


def test_migrations_match_models(engine):
    import webapp.migrations.env_models  # noqa: F401  (every model module)

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(engine):
    command.downgrade(alembic_config(engine), "base")
    assert not inspect(engine).has_table("tours")
    upgrade(engine)
    assert inspect(engine).has_table("tours")


def test_the_cheap_schema_check_agrees_with_alembic(engine, monkeypatch):
    """``upgrade`` reads the heads from the revision files' text and the schema's revision
    with one query (issue #21: Alembic's environment cost every command most of a
    second); the heads must be Alembic's own, and a current schema must not build it."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert newest_revisions() == frozenset(script.get_heads())
    assert current_revisions(engine) == newest_revisions() and schema_is_current(engine)

    def refuse(*_args, **_kwargs):
        raise AssertionError("Alembic ran on a schema that is already the newest")

    monkeypatch.setattr(command, "upgrade", refuse)
    upgrade(engine)  # nothing to do, nothing built
    monkeypatch.undo()
    command.downgrade(alembic_config(engine), "0012")
    assert current_revisions(engine) == {"0012"} and not schema_is_current(engine)
    upgrade(engine)
    assert schema_is_current(engine)


#: The old word, spelled so that renaming tools leave this test's old data alone.
OLD = "".join(("sess", "ion"))

AUDIT_BEFORE = [
    ("coordinator@example.org", f"{OLD}.add", f"{OLD}:7"),
    ("cli", f"{OLD}.assign", f"{OLD}:7"),
    ("cli", f"{OLD}.capacity", f"{OLD}:7"),
    ("coordinator@example.org", f"{OLD}.cancel", f"{OLD}:12"),
    ("coordinator@example.org", "guide.update", "guide:session"),
    ("coordinator@example.org", "tour.import", "tour:sessions-in-bilbao"),
]
AUDIT_AFTER = [
    ("coordinator@example.org", "departure.add", "departure:7"),
    ("cli", "departure.assign", "departure:7"),
    ("cli", "departure.capacity", "departure:7"),
    ("coordinator@example.org", "departure.cancel", "departure:12"),
    ("coordinator@example.org", "guide.update", "guide:session"),
    ("coordinator@example.org", "tour.import", "tour:sessions-in-bilbao"),
]


def _audit_rows(engine) -> list[tuple[str, str, str]]:
    table = AuditEntry.__table__
    query = select(table.c.actor, table.c.action, table.c.target).order_by(table.c.id)
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_0012_renames_session_audit_records_to_departure_and_back(engine):
    from alembic import command

    config = alembic_config(engine)
    command.downgrade(config, "0011")
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(AuditEntry.__table__),
                [
                    {"actor": a, "action": b, "target": c, "details": {}, "at": utcnow()}
                    for a, b, c in AUDIT_BEFORE
                ],
            )
        command.upgrade(config, "0012")
        assert _audit_rows(engine) == AUDIT_AFTER
        command.downgrade(config, "0011")
        assert _audit_rows(engine) == AUDIT_BEFORE
    finally:
        upgrade(engine)  # the next test (on PostgreSQL, the same database) expects the head


def _before_vocabulary(engine) -> str:
    """The revision before the two vocabulary migrations: the audit log's words
    (``0012``, found by its name ``audit_names_departures``) and the rest (``vocabulary``)."""
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    (found,) = [s for s in scripts.walk_revisions() if "audit_names" in s.module.__name__]
    return found.down_revision


def _vocabulary_tables() -> dict[str, Table]:
    """The columns the vocabulary migration renames values in, as they were before it."""
    meta = MetaData()
    accounts = Table(
        "user_accounts",
        meta,
        Column("id", Integer, primary_key=True),
        Column("email", String),
        Column("role", String),
        Column("active", Boolean),
        Column("session_token", String),
        Column("created_at", DateTime(timezone=True)),
    )
    audit = Table(
        "audit_log",
        meta,
        Column("id", Integer, primary_key=True),
        Column("at", DateTime(timezone=True)),
        Column("actor", String),
        Column("action", String),
        Column("target", String),
        Column("details", JSON),
    )
    outbox = Table(
        "outbox_messages",
        meta,
        Column("id", Integer, primary_key=True),
        Column("kind", String),
        Column("recipient", String),
        Column("subject", String),
        Column("raw", LargeBinary),
        Column("status", String),
        Column("attempts", Integer),
        Column("created_at", DateTime(timezone=True)),
    )
    return {"accounts": accounts, "audit": audit, "outbox": outbox}


def _stored(engine, tables) -> tuple:
    with engine.connect() as conn:
        roles = sorted(conn.execute(select(tables["accounts"].c.role)).scalars())
        audit = tables["audit"]
        entries = conn.execute(
            select(audit.c.action, audit.c.target, audit.c.details).order_by(audit.c.id)
        ).all()
        kinds = sorted(conn.execute(select(tables["outbox"].c.kind)).scalars())
    return roles, [tuple(e) for e in entries], kinds


def test_the_vocabulary_migration_renames_stored_words_and_back(engine):
    """The vocabulary migration: the role "admin" becomes "coordinator"; a session's audit
    words, detail and mail kind become a departure's; the downgrade restores them."""
    before_vocabulary = _before_vocabulary(engine)
    command.downgrade(alembic_config(engine), before_vocabulary)
    tables, now = _vocabulary_tables(), datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            tables["accounts"].insert(),
            [
                {
                    "email": f"{role}@example.org",
                    "role": role,
                    "active": True,
                    "session_token": "t",
                    "created_at": now,
                }
                for role in ("admin", "guide")
            ],
        )
        conn.execute(
            tables["audit"].insert(),
            [
                {
                    "at": now,
                    "actor": "cli",
                    "action": f"{OLD}.cancel",
                    "target": f"{OLD}:7",
                    "details": {},
                },
                {
                    "at": now,
                    "actor": "a@example.org",
                    "action": "checkin",
                    "target": "booking:3",
                    "details": {"state": "arrived", "session": 7},
                },
                {
                    "at": now,
                    "actor": "cli",
                    "action": "tour.publish",
                    "target": "tour:session",
                    "details": {"session": "kept: not a check-in"},
                },
            ],
        )
        conn.execute(
            tables["outbox"].insert(),
            [
                {
                    "kind": kind,
                    "recipient": "v@example.org",
                    "subject": "s",
                    "raw": b"",
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now,
                }
                for kind in (f"{OLD}_cancelled", "confirmation")
            ],
        )
    before = _stored(engine, tables)
    upgrade(engine)
    assert _stored(engine, tables) == (
        ["coordinator", "guide"],
        [
            ("departure.cancel", "departure:7", {}),
            ("checkin", "booking:3", {"state": "arrived", "departure": 7}),
            ("tour.publish", "tour:session", {"session": "kept: not a check-in"}),
        ],
        ["confirmation", "departure_cancelled"],
    )
    command.downgrade(alembic_config(engine), before_vocabulary)
    assert _stored(engine, tables) == before
    upgrade(engine)  # the next test (on PostgreSQL, the same database) expects the head
