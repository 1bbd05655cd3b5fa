"""The Alembic migrations and the typed models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from guides.models import AuditEntry
from tours.db import Base, utcnow
from webapp.common.database import alembic_config, upgrade


def test_migrations_match_models(engine):
    import webapp.migrations.env_models  # noqa: F401  (every model module)

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(engine):
    from alembic import command

    command.downgrade(alembic_config(engine), "base")
    assert not inspect(engine).has_table("tours")
    upgrade(engine)
    assert inspect(engine).has_table("tours")


AUDIT_BEFORE = [
    ("coordinator@example.org", "session.add", "session:7"),
    ("cli", "session.assign", "session:7"),
    ("cli", "session.capacity", "session:7"),
    ("coordinator@example.org", "session.cancel", "session:12"),
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
