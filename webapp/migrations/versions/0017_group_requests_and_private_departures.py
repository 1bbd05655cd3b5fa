"""group requests, and private departures (a group's own walk, never listed publicly)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('departures', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('private', sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table('group_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tour_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('group_size', sa.Integer(), nullable=False),
    sa.Column('preferred', sa.JSON(), nullable=False),
    sa.Column('walk_language', sa.String(length=35), nullable=False),
    sa.Column('accessibility', sa.Text(), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('proposed', sa.String(length=16), nullable=True),
    sa.Column('departure_id', sa.Integer(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('group_size > 0', name=op.f('ck_group_requests_group_size_positive')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_group_requests_booking_id_bookings')),
    sa.ForeignKeyConstraint(['departure_id'], ['departures.id'], name=op.f('fk_group_requests_departure_id_departures')),
    sa.ForeignKeyConstraint(['tour_id'], ['tours.id'], name=op.f('fk_group_requests_tour_id_tours')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_group_requests'))
    )
    with op.batch_alter_table('group_requests', schema=None) as batch_op:
        batch_op.create_index('ix_group_requests_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_group_requests_tour_id'), ['tour_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('group_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_requests_tour_id'))
        batch_op.drop_index('ix_group_requests_status_created_at')

    op.drop_table('group_requests')
    with op.batch_alter_table('departures', schema=None) as batch_op:
        batch_op.drop_column('private')
