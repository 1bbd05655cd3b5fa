"""tours and tour versions

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tours')),
    sa.UniqueConstraint('slug', name=op.f('uq_tours_slug'))
    )
    with op.batch_alter_table('tours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tours_city'), ['city'], unique=False)

    op.create_table('tour_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tour_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('languages', sa.String(length=255), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('source_name', sa.String(length=255), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tour_id'], ['tours.id'], name=op.f('fk_tour_versions_tour_id_tours'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tour_versions')),
    sa.UniqueConstraint('tour_id', 'version', name=op.f('uq_tour_versions_tour_id'))
    )
    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tour_versions_city'), ['city'], unique=False)
        batch_op.create_index(batch_op.f('ix_tour_versions_languages'), ['languages'], unique=False)
        batch_op.create_index(batch_op.f('ix_tour_versions_tour_id'), ['tour_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tour_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tour_versions_tour_id'))
        batch_op.drop_index(batch_op.f('ix_tour_versions_languages'))
        batch_op.drop_index(batch_op.f('ix_tour_versions_city'))

    op.drop_table('tour_versions')
    with op.batch_alter_table('tours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tours_city'))

    op.drop_table('tours')
