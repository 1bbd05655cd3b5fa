"""indexes for listings at scale: published tours in catalogue order, and each tour's
departures in time order, so a page reads its own rows and not the whole table

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_tours_status_city_slug', 'tours', ['status', 'city', 'slug'], unique=False
    )
    op.create_index(
        'ix_departures_tour_status_starts_at',
        'departures',
        ['tour_id', 'status', 'starts_at'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_departures_tour_status_starts_at', table_name='departures')
    op.drop_index('ix_tours_status_city_slug', table_name='tours')
