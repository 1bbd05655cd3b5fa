"""the impact report's stored figures per walk, kept honest by triggers; indexes for the
report's quotes and language list and for the console's pages of walks

A walk over for a day gets its booking and feedback counts stored (``walk_booking_figures``,
``walk_rating_figures``) by the worker; the report sums those rather than every booking.
Triggers bump ``departures.figures_version`` in the same transaction as any change to a
booking, check-in or feedback of a walk that has started, whatever code makes it (the ORM,
a bulk statement, a cascade, a hand-written fix), so stored figures older than the walk's
version are never used: the report counts that walk from its bookings again.

A later migration that rebuilds ``bookings``, ``check_ins`` or ``walk_feedback`` on SQLite
(``batch_alter_table`` in "recreate" mode: dropping a column, changing a type) drops their
triggers with the old table: it must create them again (``SQLITE_TRIGGERS`` here).
``tests/guides/test_impact_stored.py`` fails when a change no longer bumps the version.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# Changes to bookings that move a figure (not the purge's emptying of names and emails).
BOOKING_COLUMNS = "status, party_size, language, departure_id"

SQLITE_BUMP = (
    "UPDATE departures SET figures_version = figures_version + 1 "
    "WHERE id = {walk} AND starts_at < strftime('%Y-%m-%d %H:%M:%f', 'now')"
)
FEEDBACK_WALK = "(SELECT departure_id FROM walk_feedback WHERE booking_id = NEW.id)"
SQLITE_TRIGGERS = {
    "bookings_insert_figures": ("AFTER INSERT ON bookings", ["NEW.departure_id"]),
    "bookings_update_figures": (
        f"AFTER UPDATE OF {BOOKING_COLUMNS} ON bookings",
        # and the walk its feedback counts on (the booking may have moved since)
        ["OLD.departure_id", "NEW.departure_id", FEEDBACK_WALK],
    ),
    "bookings_delete_figures": ("AFTER DELETE ON bookings", ["OLD.departure_id"]),
    "walk_feedback_insert_figures": ("AFTER INSERT ON walk_feedback", ["NEW.departure_id"]),
    "walk_feedback_update_figures": (
        "AFTER UPDATE ON walk_feedback",
        ["OLD.departure_id", "NEW.departure_id"],
    ),
    "walk_feedback_delete_figures": ("AFTER DELETE ON walk_feedback", ["OLD.departure_id"]),
    "check_ins_insert_figures": (
        "AFTER INSERT ON check_ins",
        ["(SELECT departure_id FROM bookings WHERE id = NEW.booking_id)"],
    ),
    "check_ins_update_figures": (
        "AFTER UPDATE ON check_ins",
        [
            "(SELECT departure_id FROM bookings WHERE id = OLD.booking_id)",
            "(SELECT departure_id FROM bookings WHERE id = NEW.booking_id)",
        ],
    ),
    "check_ins_delete_figures": (
        "AFTER DELETE ON check_ins",
        ["(SELECT departure_id FROM bookings WHERE id = OLD.booking_id)"],
    ),
}

POSTGRES_FUNCTIONS = """
CREATE FUNCTION walk_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE departures SET figures_version = figures_version + 1
      WHERE id = OLD.departure_id AND starts_at < now();
  END IF;
  IF TG_OP <> 'DELETE' THEN
    UPDATE departures SET figures_version = figures_version + 1
      WHERE id = NEW.departure_id AND starts_at < now();
  END IF;
  RETURN NULL;
END $$;
CREATE FUNCTION feedback_walk_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE departures SET figures_version = figures_version + 1
    WHERE id = (SELECT departure_id FROM walk_feedback WHERE booking_id = NEW.id)
      AND starts_at < now();
  RETURN NULL;
END $$;
CREATE FUNCTION check_in_figures_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE departures SET figures_version = figures_version + 1
      WHERE id = (SELECT departure_id FROM bookings WHERE id = OLD.booking_id)
        AND starts_at < now();
  END IF;
  IF TG_OP <> 'DELETE' THEN
    UPDATE departures SET figures_version = figures_version + 1
      WHERE id = (SELECT departure_id FROM bookings WHERE id = NEW.booking_id)
        AND starts_at < now();
  END IF;
  RETURN NULL;
END $$;
"""
POSTGRES_TRIGGERS = (
    f"CREATE TRIGGER bookings_figures AFTER INSERT OR DELETE OR UPDATE OF {BOOKING_COLUMNS} "
    "ON bookings FOR EACH ROW EXECUTE FUNCTION walk_figures_changed()",
    # and the walk its feedback counts on (the booking may have moved since)
    f"CREATE TRIGGER bookings_feedback_figures AFTER UPDATE OF {BOOKING_COLUMNS} "
    "ON bookings FOR EACH ROW EXECUTE FUNCTION feedback_walk_figures_changed()",
    "CREATE TRIGGER walk_feedback_figures AFTER INSERT OR DELETE OR UPDATE ON walk_feedback "
    "FOR EACH ROW EXECUTE FUNCTION walk_figures_changed()",
    "CREATE TRIGGER check_ins_figures AFTER INSERT OR DELETE OR UPDATE ON check_ins "
    "FOR EACH ROW EXECUTE FUNCTION check_in_figures_changed()",
)


def _create_tables() -> None:
    counts = {
        "walk_booking_figures": ("bookings", "people", "came", "no_show"),
        "walk_rating_figures": ("asked", "answered", "recommend_yes", "recommend_said", "quotable"),
    }
    for table, columns in counts.items():
        key = (
            [sa.Column("booker_language", sa.String(length=35), nullable=False)]
            if table == "walk_booking_figures"
            else [sa.Column("rating", sa.Integer(), nullable=True)]
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("departure_id", sa.Integer(), nullable=False),
            *key,
            *(sa.Column(name, sa.Integer(), nullable=False) for name in columns),
            sa.ForeignKeyConstraint(
                ["departure_id"],
                ["departures.id"],
                name=op.f(f"fk_{table}_departure_id_departures"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_departure_id", ["departure_id"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("departures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("figures_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("figures_rolled", sa.Integer(), nullable=True))
        batch_op.create_index("ix_departures_language", ["language"], unique=False)
        batch_op.create_index("ix_departures_starts_at_id", ["starts_at", "id"], unique=False)
    with op.batch_alter_table("walk_feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_walk_feedback_departure_quote", ["departure_id", "quote_consent"], unique=False
        )
    _create_tables()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTIONS)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
        return
    for name, (when, walks) in SQLITE_TRIGGERS.items():
        body = "; ".join(SQLITE_BUMP.format(walk=walk) for walk in walks)
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("bookings", "walk_feedback", "check_ins"):
            op.execute(f"DROP TRIGGER {table}_figures ON {table}")
        op.execute("DROP TRIGGER bookings_feedback_figures ON bookings")
        op.execute("DROP FUNCTION walk_figures_changed()")
        op.execute("DROP FUNCTION feedback_walk_figures_changed()")
        op.execute("DROP FUNCTION check_in_figures_changed()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("walk_rating_figures")
    op.drop_table("walk_booking_figures")
    with op.batch_alter_table("walk_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_walk_feedback_departure_quote")
    with op.batch_alter_table("departures", schema=None) as batch_op:
        batch_op.drop_index("ix_departures_language")
        batch_op.drop_index("ix_departures_starts_at_id")
        batch_op.drop_column("figures_rolled")
        batch_op.drop_column("figures_version")
