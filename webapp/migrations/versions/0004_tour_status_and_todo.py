"""tour status (draft, published, withdrawn) and a to-do list per version

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tours', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='published', nullable=False))
        batch_op.create_index(batch_op.f('ix_tours_status'), ['status'], unique=False)

    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('todo', sa.JSON(), nullable=True))
    op.execute("UPDATE tour_versions SET todo = '[]'")
    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.alter_column('todo', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.drop_column('todo')

    with op.batch_alter_table('tours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tours_status'))
        batch_op.drop_column('status')
