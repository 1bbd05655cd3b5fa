"""guides' availability: the days and times a guide can or cannot guide

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guide_availability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("guide_id", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("from_time", sa.Time(), nullable=True),
        sa.Column("until_time", sa.Time(), nullable=True),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("first_day <= last_day", name=op.f("ck_guide_availability_days_in_order")),
        sa.CheckConstraint(
            "(from_time IS NULL AND until_time IS NULL) OR "
            "(from_time IS NOT NULL AND until_time IS NOT NULL AND from_time < until_time)",
            name=op.f("ck_guide_availability_whole_day_or_range"),
        ),
        sa.ForeignKeyConstraint(
            ["guide_id"],
            ["guides.id"],
            name=op.f("fk_guide_availability_guide_id_guides"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_availability")),
    )
    op.create_index(
        "ix_guide_availability_guide_id_last_day",
        "guide_availability",
        ["guide_id", "last_day"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_guide_availability_guide_id_last_day", table_name="guide_availability")
    op.drop_table("guide_availability")
