"""bookings: where each came from (``source``: online, phone, email, in person) and whether
the person agreed to be contacted (``contact_consent``), for bookings taken in the console

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every booking so far was made on the site or through the API, and nobody was asked.
    with op.batch_alter_table('bookings') as batch:
        batch.add_column(
            sa.Column('source', sa.String(length=16), nullable=False, server_default='online')
        )
        batch.add_column(
            sa.Column('contact_consent', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('bookings') as batch:
        batch.drop_column('contact_consent')
        batch.drop_column('source')
