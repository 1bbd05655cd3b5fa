"""after the walk: walkers' feedback (one per booking) and guides' debriefs (one per walk)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op


revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "walk_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("departure_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("recommend", sa.Boolean(), nullable=True),
        sa.Column("learned", sa.Text(), nullable=True),
        sa.Column("followed_language", sa.String(length=35), nullable=True),
        sa.Column("quote_consent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("credit", sa.String(length=16), nullable=True),
        sa.Column("credit_name", sa.String(length=120), nullable=True),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 1 AND rating <= 5)",
            name=op.f("ck_walk_feedback_rating_1_to_5"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_walk_feedback_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["departure_id"],
            ["departures.id"],
            name=op.f("fk_walk_feedback_departure_id_departures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_feedback")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_walk_feedback_booking_id")),
    )
    with op.batch_alter_table("walk_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_walk_feedback_departure_id", ["departure_id"], unique=False)
    op.create_table(
        "debriefs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("departure_id", sa.Integer(), nullable=False),
        sa.Column("guide_id", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("incidents", sa.Text(), nullable=False),
        sa.Column("route_change_needed", sa.Boolean(), nullable=False),
        sa.Column("route_change", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_debriefs_rating_1_to_5")),
        sa.CheckConstraint("headcount >= 0", name=op.f("ck_debriefs_headcount_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["user_accounts.id"],
            name=op.f("fk_debriefs_account_id_user_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["departure_id"],
            ["departures.id"],
            name=op.f("fk_debriefs_departure_id_departures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["guide_id"],
            ["guides.id"],
            name=op.f("fk_debriefs_guide_id_guides"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debriefs")),
        sa.UniqueConstraint("departure_id", name=op.f("uq_debriefs_departure_id")),
    )


def downgrade() -> None:
    op.drop_table("debriefs")
    with op.batch_alter_table("walk_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_walk_feedback_departure_id")
    op.drop_table("walk_feedback")
