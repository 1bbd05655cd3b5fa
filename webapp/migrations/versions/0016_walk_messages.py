"""messages to a walk's group: the walk's log of what was sent, by whom, to how many

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('walk_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('departure_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['user_accounts.id'], name=op.f('fk_walk_messages_account_id_user_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['departure_id'], ['departures.id'], name=op.f('fk_walk_messages_departure_id_departures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walk_messages'))
    )
    with op.batch_alter_table('walk_messages', schema=None) as batch_op:
        batch_op.create_index('ix_walk_messages_account_id_sent_at', ['account_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_walk_messages_departure_id_sent_at', ['departure_id', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('walk_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_walk_messages_departure_id_sent_at')
        batch_op.drop_index('ix_walk_messages_account_id_sent_at')
    op.drop_table('walk_messages')
