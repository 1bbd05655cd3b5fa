"""a departures version per tour, bumped by triggers whenever what its walks show changes

The tour page keeps the upcoming departures it read under this number and, on each
view, reads only this small row to know whether they are still current.  Triggers rather
than the code paths that write departures, so that none is missed (a booking, a
cancellation, a move, a party size, a waiting-list offer, a schedule, a capacity or guide
change, a walk cancelled, a group's walk, a guide renamed): each bumps the number in the
writer's own transaction.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# The impact report's figures columns (migration 0021: bumped by its triggers when a past
# walk's bookings change, marked by the worker) show nothing on a tour page, and are only
# ever written alone: an update of those alone bumps nothing, so the worker's batches
# do not lock the tours' rows that bookings bump.
# SQLite: one trigger per event.  On both backends an update that changes nothing shown
# still bumps the number (comparing every column, JSON included, would cost each write
# more than the one extra read it saves): the next view then reads the departures again.
SQLITE_TRIGGERS = {
    "tours_departure_version_row": """
        CREATE TRIGGER tours_departure_version_row AFTER INSERT ON tours
        BEGIN
            INSERT OR IGNORE INTO departure_versions (tour_id, version) VALUES (NEW.id, 0);
        END""",
    "departures_inserted_bump_version": """
        CREATE TRIGGER departures_inserted_bump_version AFTER INSERT ON departures
        BEGIN
            UPDATE departure_versions SET version = version + 1 WHERE tour_id = NEW.tour_id;
        END""",
    "departures_updated_bump_version": """
        CREATE TRIGGER departures_updated_bump_version AFTER UPDATE ON departures
        WHEN OLD.figures_version IS NEW.figures_version
            AND OLD.figures_rolled IS NEW.figures_rolled
        BEGIN
            UPDATE departure_versions SET version = version + 1
            WHERE tour_id IN (OLD.tour_id, NEW.tour_id);
        END""",
    "departures_deleted_bump_version": """
        CREATE TRIGGER departures_deleted_bump_version AFTER DELETE ON departures
        BEGIN
            UPDATE departure_versions SET version = version + 1 WHERE tour_id = OLD.tour_id;
        END""",
    "guides_renamed_bump_version": """
        CREATE TRIGGER guides_renamed_bump_version AFTER UPDATE OF display_name ON guides
        WHEN OLD.display_name IS NOT NEW.display_name
        BEGIN
            UPDATE departure_versions SET version = version + 1
            WHERE tour_id IN (SELECT tour_id FROM departures WHERE guide_id = NEW.id);
        END""",
}

POSTGRESQL_FUNCTIONS = {
    "tours_departure_version_row": """
        CREATE FUNCTION tours_departure_version_row() RETURNS trigger AS $$
        BEGIN
            INSERT INTO departure_versions (tour_id, version) VALUES (NEW.id, 0)
            ON CONFLICT (tour_id) DO NOTHING;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    "departures_bump_version": """
        CREATE FUNCTION departures_bump_version() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE departure_versions SET version = version + 1
                WHERE tour_id = NEW.tour_id;
            ELSIF TG_OP = 'UPDATE' THEN
                UPDATE departure_versions SET version = version + 1
                WHERE tour_id IN (OLD.tour_id, NEW.tour_id);
            ELSE
                UPDATE departure_versions SET version = version + 1
                WHERE tour_id = OLD.tour_id;
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
    "guides_renamed_bump_version": """
        CREATE FUNCTION guides_renamed_bump_version() RETURNS trigger AS $$
        BEGIN
            UPDATE departure_versions SET version = version + 1
            WHERE tour_id IN (SELECT tour_id FROM departures WHERE guide_id = NEW.id);
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
}
POSTGRESQL_TRIGGERS = {
    "tours_departure_version_row": """
        CREATE TRIGGER tours_departure_version_row AFTER INSERT ON tours
        FOR EACH ROW EXECUTE FUNCTION tours_departure_version_row()""",
    "departures_added_or_removed_bump_version": """
        CREATE TRIGGER departures_added_or_removed_bump_version AFTER INSERT OR DELETE ON departures
        FOR EACH ROW EXECUTE FUNCTION departures_bump_version()""",
    "departures_updated_bump_version": """
        CREATE TRIGGER departures_updated_bump_version AFTER UPDATE ON departures
        FOR EACH ROW WHEN (OLD.figures_version IS NOT DISTINCT FROM NEW.figures_version
            AND OLD.figures_rolled IS NOT DISTINCT FROM NEW.figures_rolled)
        EXECUTE FUNCTION departures_bump_version()""",
    "guides_renamed_bump_version": """
        CREATE TRIGGER guides_renamed_bump_version AFTER UPDATE OF display_name ON guides
        FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
        EXECUTE FUNCTION guides_renamed_bump_version()""",
}
TRIGGER_TABLES = {
    "tours_departure_version_row": "tours",
    "departures_inserted_bump_version": "departures",
    "departures_updated_bump_version": "departures",
    "departures_deleted_bump_version": "departures",
    "departures_added_or_removed_bump_version": "departures",
    "guides_renamed_bump_version": "guides",
}


def upgrade() -> None:
    op.create_table(
        "departure_versions",
        sa.Column("tour_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["tour_id"],
            ["tours.id"],
            name=op.f("fk_departure_versions_tour_id_tours"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tour_id", name=op.f("pk_departure_versions")),
    )
    # Every tour stored so far gets its row; later ones get it from the trigger.
    op.execute("INSERT INTO departure_versions (tour_id, version) SELECT id, 0 FROM tours")
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*POSTGRESQL_FUNCTIONS.values(), *POSTGRESQL_TRIGGERS.values()):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    triggers = POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS
    for name in triggers:
        on = f" ON {TRIGGER_TABLES[name]}" if postgresql else ""
        op.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
    if postgresql:
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("departure_versions")
